"""Followers on the ticket page; escalation and the hand-off to development."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from opora.core.tasks import run_queued_tasks
from opora.sla.models import DevHandoff, TicketSla
from opora.tickets.models import Event
from tests.writes import nothing_written


def test_followers_are_added_and_removed(client, alice, bob, dave, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    # a customer picked by the search, an agent typed by address
    client.post(f"/agent/tickets/{ticket.number}/followers", {"person": "x", "person_id": dave.pk})
    client.post(f"/agent/tickets/{ticket.number}/followers", {"person": "bob@desk.test"})
    assert set(ticket.followers.values_list("email", flat=True)) == {
        "dave@acme.test",
        "bob@desk.test",
    }
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-follower="dave@acme.test"' in page
    # nobody unknown, and not the requester
    with nothing_written(ticket):
        unknown = client.post(f"/agent/tickets/{ticket.number}/followers", {"person": "no@x.test"})
        own = client.post(f"/agent/tickets/{ticket.number}/followers", {"person": dana.email})
    assert (unknown.status_code, own.status_code) == (422, 422)
    # removed again, with an event
    client.post(f"/agent/tickets/{ticket.number}/followers/{dave.pk}/remove")
    assert list(ticket.followers.values_list("email", flat=True)) == ["bob@desk.test"]
    assert Event.objects.filter(ticket=ticket, kind="followers_removed").count() == 1


def test_an_outsider_cannot_touch_followers(client, otto, dave, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(otto)
    with nothing_written(ticket):
        response = client.post(f"/agent/tickets/{ticket.number}/followers", {"person_id": dave.pk})
    assert response.status_code == 404


def test_escalate_from_the_page(client, alice, lena, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}")
    assert [v for v, _ in page.context["escalation"]["choices"]] == ["2", "3", "lead"]
    # a reason is required: the form keeps the level and says so
    with nothing_written(ticket):
        refused = client.post(f"/agent/tickets/{ticket.number}/escalate", {"to": "3"})
    assert refused.status_code == 422
    response = client.post(
        f"/agent/tickets/{ticket.number}/escalate", {"to": "lead", "reason": "VIP customer"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert TicketSla.objects.get(ticket=ticket).level == "lead"
    assert ticket.assignee_id == lena.pk
    # nothing higher is left to offer
    page = client.get(f"/agent/tickets/{ticket.number}")
    assert page.context["escalation"]["choices"] == []


class Tracker:
    """A development tracker on 127.0.0.1 that accepts every hand-off."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        tracker = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                tracker.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


@pytest.fixture
def tracker(settings):
    t = Tracker()
    t.thread.start()
    settings.DEV_WEBHOOK_URL = t.url
    settings.DEV_WEBHOOK_SECRET = "secret"
    yield t
    t.server.shutdown()
    t.server.server_close()
    t.thread.join(timeout=5)


def test_hand_to_development_from_the_page(
    client, alice, dana, make_ticket, tracker, django_capture_on_commit_callbacks
):
    ticket = make_ticket(dana, subject="Export crashes")
    client.force_login(alice)
    with nothing_written(ticket):
        refused = client.post(f"/agent/tickets/{ticket.number}/hand-off", {"summary": "Crash"})
    assert refused.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/agent/tickets/{ticket.number}/hand-off",
            {"summary": "CSV export crashes", "reason": "Stack trace in the logs"},
        )
    assert response.status_code == 302
    run_queued_tasks()
    # the tracker got the problem; the page shows the delivered hand-off and the note
    assert tracker.bodies[0]["problem"]["number"] == ticket.number
    assert DevHandoff.objects.get(problem=ticket).delivery == "delivered"
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-handoff-state="delivered"' in page
    assert "Handed to development: CSV export crashes" in page


def test_no_hand_off_card_without_a_webhook(client, alice, dana, make_ticket, settings):
    settings.DEV_WEBHOOK_URL = ""
    ticket = make_ticket(dana)
    client.force_login(alice)
    assert "data-handoff" not in client.get(f"/agent/tickets/{ticket.number}").content.decode()
