"""Phone lines managed by administrators (console and API, the secret write-only, the
test event through the network to the desk itself) and calls logged by agents by hand
(the ticket page and the API)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.core.models import AdminChange
from opora.telephony.models import Call, CallEvent, Outcome, PhoneLine
from opora.tickets.models import Ticket, TimeEntry
from tests.conftest import PASSWORD
from tests.telephony.conftest import CUSTOMER, generic_event, new_call_id, post_generic
from tests.writes import nothing_written


def _signed_in(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_the_api_manages_lines_and_never_returns_the_secret(
    api: Callable[[User | None], Any], ada: User, support: Team
) -> None:
    admin = api(ada)
    created = admin.post(
        "/channels/phone",
        {"name": "Office PBX", "team": support.pk, "numbers": ["+7 495 000-00-00"]},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    line = PhoneLine.objects.get()
    assert body["secret"] == line.secret and len(line.secret) >= 32
    assert body["webhook_url"].endswith(f"/channels/phone/{line.pk}/generic")
    for answer in (admin.get(f"/channels/phone/{line.pk}"), admin.get("/channels/phone")):
        assert line.secret not in answer.content.decode()
    changed = admin.patch(f"/channels/phone/{line.pk}", {"callback_minutes": 15, "active": False})
    assert changed.json()["callback_minutes"] == 15
    assert "secret" not in changed.json()
    renewed = admin.post(f"/channels/phone/{line.pk}/secret")
    line.refresh_from_db()
    assert renewed.json()["secret"] == line.secret
    audit_rows = AdminChange.objects.filter(area="channels").values_list("changes", flat=True)
    assert all(line.secret not in str(changes) for changes in audit_rows)

    twilio = admin.post("/channels/phone", {"name": "Twilio", "provider": "twilio"})
    assert twilio.status_code == 422
    assert twilio.json()["code"] == "invalid_secret"
    bad = admin.post("/channels/phone", {"name": "X", "numbers": ["call me"]})
    assert bad.json()["code"] == "invalid_numbers"
    ext = admin.post("/channels/phone", {"name": "X", "extensions": "101 = nobody@x.test"})
    assert ext.json()["code"] == "invalid_agents"
    assert admin.delete(f"/channels/phone/{line.pk}").status_code == 204


def test_agents_may_not_manage_lines(
    api: Callable[[User | None], Any], alice: User, generic_line: PhoneLine
) -> None:
    agent = api(alice)
    page = _signed_in(alice)
    with nothing_written(generic_line):
        assert agent.get("/channels/phone").status_code == 403
        assert agent.patch(f"/channels/phone/{generic_line.pk}", {"name": "x"}).status_code == 403
        assert page.get("/admin/channels/phone/").status_code in (302, 403, 404)


def test_the_console_shows_a_generated_secret_once_and_the_webhook_address(
    ada: User, support: Team
) -> None:
    admin = _signed_in(ada)
    answer = admin.post(
        "/admin/channels/phone/new",
        {
            "name": "Office",
            "provider": "generic",
            "team": support.pk,
            "numbers": "+74950000000",
            "extensions": "101 = alice@desk.test",
            "callback_minutes": 60,
            "active": "on",
        },
        follow=True,
    )
    line = PhoneLine.objects.get()
    page = answer.content.decode()
    assert line.secret in page
    assert f"/channels/phone/{line.pk}/generic" in page
    again = admin.get(f"/admin/channels/phone/{line.pk}/").content.decode()
    assert line.secret not in again
    assert "data-secret-set" in again
    listing = admin.get("/admin/channels/phone/").content.decode()
    assert "Office" in listing


@pytest.mark.django_db(transaction=True)
def test_send_a_test_event_reaches_the_desk_through_the_network(
    live_server: Any, settings: Any, ada: User, support: Team
) -> None:
    from opora.telephony.actions import create_line, send_test_event

    settings.BASE_URL = live_server.url
    line = create_line(by=ada, values={"name": "Office", "team": support.pk}).line
    result = send_test_event(line, by=ada)
    assert result.ok, result.message
    assert CallEvent.objects.get().outcome == "test"
    assert not Ticket.objects.exists()

    # A desk whose public address is wrong says so, on the page and the line.
    settings.BASE_URL = "http://127.0.0.1:9"
    failed = send_test_event(line, by=ada)
    assert not failed.ok
    line.refresh_from_db()
    assert "127.0.0.1:9" in line.last_error


def test_an_agent_logs_a_call_on_the_ticket_page(
    alice: User, dana: User, make_ticket: Callable[..., Ticket]
) -> None:
    ticket = make_ticket(dana)
    page = _signed_in(alice)
    assert "data-phone-calls" in page.get(f"/agent/tickets/{ticket.number}").content.decode()
    answer = page.post(
        f"/agent/tickets/{ticket.number}/calls",
        {"direction": "out", "number": CUSTOMER, "minutes": 7, "outcome": "answered", "note": "ok"},
    )
    assert answer.status_code == 302
    call = Call.objects.get()
    assert (call.ticket_id, call.agent_id, call.duration, call.note) == (
        ticket.pk,
        alice.pk,
        420,
        "ok",
    )
    assert TimeEntry.objects.get(ticket=ticket).minutes == 7
    shown = page.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert f'data-call="{call.pk}"' in shown


def test_the_api_logs_and_lists_a_tickets_calls(
    api: Callable[[User | None], Any],
    alice: User,
    otto: User,
    dana: User,
    make_ticket: Callable[..., Ticket],
) -> None:
    ticket = make_ticket(dana)
    agent = api(alice)
    logged = agent.post(
        f"/tickets/{ticket.number}/calls",
        {"direction": "in", "number": CUSTOMER, "duration": 90, "outcome": "answered"},
    )
    assert logged.status_code == 201, logged.content
    assert logged.json()["logged_by_hand"] is True
    listed = agent.get(f"/tickets/{ticket.number}/calls").json()
    assert [c["duration"] for c in listed] == [90]
    assert TimeEntry.objects.get().minutes == 2

    other, requester = api(otto), api(dana)
    with nothing_written(ticket):
        bad = agent.post(
            f"/tickets/{ticket.number}/calls",
            {"direction": "in", "number": "call me", "duration": 1, "outcome": "answered"},
        )
        outsider = other.post(
            f"/tickets/{ticket.number}/calls",
            {"direction": "in", "number": CUSTOMER, "duration": 1, "outcome": "answered"},
        )
        customer = requester.get(f"/tickets/{ticket.number}/calls")
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_number"
    assert outsider.status_code == 404
    assert customer.status_code == 404


def test_the_call_back_list_and_called_back(
    api: Callable[[User | None], Any], alice: User, generic_line: PhoneLine
) -> None:
    call_id = new_call_id()
    post_generic(generic_line, generic_event("ringing", call_id))
    post_generic(generic_line, generic_event("ended", call_id, outcome="voicemail"))
    missed = Call.objects.get()
    assert missed.outcome == Outcome.VOICEMAIL
    page = _signed_in(alice)
    assert missed.ticket is not None
    listing = page.get("/agent/calls/call-back").content.decode()
    assert f'data-callback-row="{missed.ticket.number}"' in listing
    queue = page.get("/agent/").content.decode()
    assert 'data-view="call-back"' in queue
    assert [c["id"] for c in api(alice).get("/calls/call-back").json()] == [missed.pk]
    done = api(alice).post(f"/calls/{missed.pk}/called-back")
    assert done.status_code == 200
    assert done.json()["callback_done_at"] is not None
    assert api(alice).get("/calls/call-back").json() == []


def _sidebar_call_backs(client: Client) -> int:
    page = client.get("/agent/").content.decode()
    found = re.search(r'data-view="call-back"><span>[^<]*</span><span class="count">(\d+)<', page)
    assert found is not None
    return int(found.group(1))


def test_the_queue_sidebar_counts_the_call_backs_an_agent_may_open(
    alice: User,
    otto: User,
    billing: Team,
    generic_line: PhoneLine,
) -> None:
    mine, outsider = _signed_in(alice), _signed_in(otto)
    assert _sidebar_call_backs(mine) == 0
    for _ in range(2):
        call_id = new_call_id()
        post_generic(generic_line, generic_event("ringing", call_id))
        post_generic(generic_line, generic_event("ended", call_id, outcome="missed"))
    assert _sidebar_call_backs(mine) == 2
    # Otto's team is Billing: the line's tickets go to Support, which he may not open.
    assert _sidebar_call_backs(outsider) == 0
    first = Call.objects.order_by("id").first()
    assert first is not None
    first.callback_done_at = first.started_at
    first.save(update_fields=["callback_done_at"])
    assert _sidebar_call_backs(mine) == 1
