"""An agent invites the customer to a remote session from a ticket: the invitation is a
public reply in the customer's language with the link; start and end are history
events, and the end logs the session's length as the agent's time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from opora.accounts.models import User
from opora.core import clock
from opora.inbox.models import Delivery
from opora.remote.models import RemoteSession, RemoteTool
from opora.sla.models import TicketSla
from opora.tickets.models import Event, EventKind, Message, Ticket, TicketStatus, TimeEntry
from tests.writes import nothing_written


def _invite(client: Any, ticket: Ticket, tool: RemoteTool, **extra: Any) -> Any:
    return client.post(f"/tickets/{ticket.number}/remote-sessions", {"tool": tool.pk, **extra})


def test_an_english_customer_gets_the_rustdesk_link_with_id_and_password(
    api: Any, alice: User, rustdesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket("en")
    answer = _invite(api(alice), ticket, rustdesk, session_id="123 456 789", password="pa55")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["state"] == "invited"
    assert body["session_id"] == "123 456 789"
    assert body["language"] == "en"
    message = Message.objects.get(pk=body["message"])
    assert not message.internal
    assert "rustdesk://connection/new/123%20456%20789?password=pa55" in message.body
    assert "Alice invites you to a remote-assistance session with RustDesk" in message.body
    assert "Download it at https://rustdesk.com/" in message.body
    assert "Session ID: 123 456 789" in message.body
    assert "Password: pa55" in message.body
    # Delivered on the ticket's channel like any reply.
    assert Delivery.objects.get(ticket_message=message).channel == "email"
    event = Event.objects.get(ticket=ticket, kind=EventKind.REMOTE_INVITED)
    assert (event.actor, event.new, event.data["session"]) == (alice, "RustDesk", body["id"])


def test_a_russian_customer_gets_the_invitation_in_russian(
    api: Any, alice: User, anydesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket("ru")
    answer = _invite(api(alice), ticket, anydesk)
    assert answer.status_code == 201, answer.content
    text = Message.objects.get(pk=answer.json()["message"]).body
    assert f"https://get.anydesk.com/?ticket={ticket.number}" in text
    assert "приглашает вас на сеанс удалённой помощи" in text
    assert "Запустите AnyDesk и сообщите нам 9-значный номер." in text
    assert "Session" not in text and "Password" not in text


def test_a_rustdesk_link_without_a_password_leaves_the_parameter_out(
    api: Any, alice: User, rustdesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    answer = _invite(api(alice), email_ticket(), rustdesk, session_id="987654321")
    text = Message.objects.get(pk=answer.json()["message"]).body
    assert "rustdesk://connection/new/987654321\n" in text


def test_start_and_end_record_events_and_log_the_agents_time(
    api: Any,
    alice: User,
    bob: User,
    rustdesk: RemoteTool,
    email_ticket: Callable[..., Ticket],
    settings: Any,
) -> None:
    ticket = email_ticket()
    client = api(alice)
    session_id = _invite(client, ticket, rustdesk, session_id="111").json()["id"]
    base = f"/tickets/{ticket.number}/remote-sessions/{session_id}"
    start = clock.now()
    with clock.use(lambda: start):
        started = client.post(f"{base}/start")
    assert started.status_code == 200, started.content
    assert started.json()["state"] == "started"
    # Another agent of the team marks the end: the time is still the inviting agent's.
    with clock.use(lambda: start + timedelta(minutes=17, seconds=20)):
        ended = api(bob).post(f"{base}/end")
    assert ended.status_code == 200, ended.content
    body = ended.json()
    assert body["state"] == "ended"
    assert body["duration_seconds"] == 17 * 60 + 20
    assert body["minutes_logged"] == 17
    entry = TimeEntry.objects.get(ticket=ticket)
    assert (entry.agent, entry.minutes) == (alice, 17)
    assert "RustDesk" in entry.note
    kinds = list(
        Event.objects.filter(ticket=ticket, kind__startswith="remote_").values_list(
            "kind", "actor__email", "new"
        )
    )
    assert kinds == [
        (EventKind.REMOTE_INVITED, alice.email, "RustDesk"),
        (EventKind.REMOTE_STARTED, alice.email, "RustDesk"),
        (EventKind.REMOTE_ENDED, bob.email, "17"),
    ]
    assert Event.objects.filter(ticket=ticket, kind=EventKind.TIME_LOGGED).count() == 1
    # The reports' row counts it as logged time (cost and "% time logged").
    assert TicketSla.objects.get(ticket=ticket).logged_minutes == 17
    listed = client.get(f"/tickets/{ticket.number}/remote-sessions").json()
    assert [(s["id"], s["state"]) for s in listed] == [(session_id, "ended")]


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({}, "session_id_required"),
        ({"session_id": "12;drop"}, "invalid_session_id"),
        ({"session_id": "1", "password": "two words"}, "invalid_password"),
    ],
)
def test_bad_invitations_are_refused_and_write_nothing(
    api: Any,
    alice: User,
    rustdesk: RemoteTool,
    email_ticket: Callable[..., Ticket],
    extra: dict[str, str],
    code: str,
) -> None:
    ticket = email_ticket()
    client = api(alice)
    with nothing_written(ticket):
        answer = _invite(client, ticket, rustdesk, **extra)
    assert answer.status_code == 422
    assert answer.json()["code"] == code


def test_an_inactive_or_unknown_tool_is_refused(
    api: Any, alice: User, ada: User, anydesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    api(ada).patch(f"/remote-tools/{anydesk.pk}", {"active": False})
    client = api(alice)
    with nothing_written(ticket):
        off = _invite(client, ticket, anydesk)
        unknown = client.post(f"/tickets/{ticket.number}/remote-sessions", {"tool": 999})
    assert (off.status_code, off.json()["code"]) == (422, "unknown_tool")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_tool")


def test_customers_and_outsiders_cannot_see_or_start_sessions(
    api: Any,
    alice: User,
    dana: User,
    charlie: User,
    anydesk: RemoteTool,
    email_ticket: Callable[..., Ticket],
) -> None:
    ticket = email_ticket()
    session = _invite(api(alice), ticket, anydesk).json()["id"]
    customer, outsider = api(dana), api(charlie)
    with nothing_written(ticket):
        assert customer.get(f"/tickets/{ticket.number}/remote-sessions").status_code == 404
        assert _invite(customer, ticket, anydesk).status_code == 404
        base = f"/tickets/{ticket.number}/remote-sessions/{session}"
        assert customer.post(f"{base}/start").status_code == 404
        assert outsider.post(f"{base}/start").status_code == 404


def test_steps_out_of_order_are_refused_and_write_nothing(
    api: Any, alice: User, anydesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    client = api(alice)
    session_id = _invite(client, ticket, anydesk).json()["id"]
    base = f"/tickets/{ticket.number}/remote-sessions/{session_id}"
    with nothing_written(ticket):
        early = client.post(f"{base}/end")
    assert (early.status_code, early.json()["code"]) == (422, "not_started")
    client.post(f"{base}/start")
    with nothing_written(ticket):
        again = client.post(f"{base}/start")
    assert (again.status_code, again.json()["code"]) == (422, "already_started")
    client.post(f"{base}/end")
    session = RemoteSession.objects.get(pk=session_id)
    with nothing_written(ticket, session):
        twice = client.post(f"{base}/end")
    assert (twice.status_code, twice.json()["code"]) == (422, "already_ended")
    assert TimeEntry.objects.filter(ticket=ticket).count() == 1


def test_a_closed_ticket_takes_no_invitation_nor_time(
    api: Any, alice: User, anydesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    from opora.tickets.actions import TicketChanges, update_ticket

    ticket = email_ticket()
    client = api(alice)
    session_id = _invite(client, ticket, anydesk).json()["id"]
    base = f"/tickets/{ticket.number}/remote-sessions/{session_id}"
    client.post(f"{base}/start")
    ticket = update_ticket(ticket, TicketChanges(status=TicketStatus.SOLVED), by=alice)
    ticket = update_ticket(ticket, TicketChanges(status=TicketStatus.CLOSED), by=alice)
    with nothing_written(ticket):
        ended = client.post(f"{base}/end")
        invited = _invite(client, ticket, anydesk)
    assert (ended.status_code, ended.json()["code"]) == (422, "ticket_closed")
    assert (invited.status_code, invited.json()["code"]) == (422, "ticket_closed")
