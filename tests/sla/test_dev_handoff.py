"""Hand to development: a signed webhook to a real HTTP server, retried, and the callback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from opora.core.tasks import run_queued_tasks
from opora.sla.models import DevHandoff
from opora.sla.webhooks import signed_headers, verify
from opora.tickets import actions
from opora.tickets.models import Message
from tests.writes import nothing_written

SECRET = "s3cret-for-tests"


class Receiver:
    """A tiny development tracker on 127.0.0.1 that fails its first request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = verify(
                    SECRET,
                    self.headers.get("X-Opora-Timestamp", ""),
                    self.headers.get("X-Opora-Signature", ""),
                    body,
                    now=time.time(),
                )
                receiver.requests.append({"valid": valid, "body": json.loads(body)})
                status = 500 if len(receiver.requests) == 1 else (200 if valid else 401)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/opora"


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
    r.thread.join(timeout=5)


@pytest.fixture
def webhook(settings, receiver):
    settings.DEV_WEBHOOK_URL = receiver.url
    settings.DEV_WEBHOOK_SECRET = SECRET
    settings.DEV_WEBHOOK_BACKOFF_SECONDS = 0
    return receiver


def test_the_problem_is_posted_signed_and_retried_after_a_failure(
    api, webhook, make_ticket, dana, dave, alice, django_capture_on_commit_callbacks
):
    # given a problem with two linked incidents
    problem = make_ticket(dana, by=alice, subject="VPN drops every hour")
    first = make_ticket(dana, by=alice, subject="VPN disconnects")
    second = make_ticket(dave, by=alice, subject="Cannot stay on VPN")
    # when Alice hands the ticket to development (it becomes a problem)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post(f"/tickets/{problem.number}/hand-to-development")
    assert response.status_code == 202, response.content
    problem.refresh_from_db()
    assert problem.type == "problem"
    actions.link_problem(first, problem, by=alice)
    actions.link_problem(second, problem, by=alice)
    run_queued_tasks()  # first attempt: the server answers 500, a retry is queued
    run_queued_tasks()  # second attempt succeeds
    # then the tracker got two signed requests with the problem and its incidents
    assert [r["valid"] for r in webhook.requests] == [True, True]
    payload = webhook.requests[-1]["body"]
    assert payload["problem"]["number"] == problem.number
    assert sorted(i["number"] for i in payload["incidents"]) == [first.number, second.number]
    handoff = DevHandoff.objects.get(problem=problem)
    assert (handoff.delivery, handoff.attempts) == ("delivered", 2)


def test_the_signed_callback_solves_the_problem_and_updates_every_incident(
    api, webhook, make_ticket, dana, dave, alice, django_capture_on_commit_callbacks
):
    problem = make_ticket(dana, by=alice, subject="VPN drops", type="problem")
    incidents = [make_ticket(u, by=alice, subject="VPN") for u in (dana, dave)]
    for incident in incidents:
        actions.link_problem(incident, problem, by=alice)
    api(alice).post(f"/tickets/{problem.number}/hand-to-development")
    body = json.dumps({"problem": problem.number, "status": "fixed", "reference": "DEV-42"})
    # when development calls back with a forged signature, or none, it is refused
    caller = api(None).client
    handoff = DevHandoff.objects.get(problem=problem)
    with nothing_written(problem, *incidents, handoff):
        forged = caller.post(
            "/api/v1/sla/dev-callback",
            body,
            content_type="application/json",
            headers={"X-Opora-Timestamp": str(int(time.time())), "X-Opora-Signature": "sha256=00"},
        )
        unsigned = caller.post("/api/v1/sla/dev-callback", body, content_type="application/json")
    assert [(r.status_code, r.json()["code"]) for r in (forged, unsigned)] == [
        (403, "bad_signature")
    ] * 2
    # when it calls back signed
    headers = signed_headers(SECRET, body.encode())
    headers.pop("Content-Type")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(None).client.post(
            "/api/v1/sla/dev-callback", body, content_type="application/json", headers=headers
        )
    assert response.status_code == 200, response.content
    run_queued_tasks()
    # then the problem is solved and every incident got a note and a reply to its requester
    problem.refresh_from_db()
    assert problem.status == "solved"
    for incident in incidents:
        messages = list(Message.objects.filter(ticket=incident).order_by("id"))
        assert [m.internal for m in messages[-2:]] == [True, False]
        assert f"#{problem.number}" in messages[-1].body
