"""One request is one change: all of it is written, or (refused) none of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import User
from opora.inbox.models import Delivery
from opora.tickets.models import Event, EventKind, Message, Ticket
from tests.conftest import PASSWORD


def _counts() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Ticket.objects.count(),
        Message.objects.count(),
        Event.objects.count(),
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"subject": ""},  # refused by the ticket's own checks
        {"priority": "whenever"},
        {"tags": [f"tag{i}" for i in range(100)]},
    ],
)
def test_a_refused_ticket_for_a_new_customer_leaves_no_customer_behind(
    api: Any, alice: User, support: Any, bad: dict[str, Any]
) -> None:
    # given
    before = _counts()
    # when Alice opens a ticket for someone unknown so far, and the ticket is refused
    payload = {"subject": "Invoice", "body": "Called about invoice 42"} | bad
    response = api(alice).post("/tickets", payload | {"requester": "new.person@acme.test"})
    # then nothing was written, not even the new customer
    assert response.status_code == 422, response.content
    assert _counts() == before
    assert not User.objects.filter(email="new.person@acme.test").exists()


def test_a_customer_cannot_create_accounts_by_naming_a_requester(api: Any, dana: User) -> None:
    before = _counts()
    response = api(dana).post(
        "/tickets", {"subject": "Hi", "body": "x", "requester": "someone@else.test"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "agents_only"
    assert _counts() == before


def _agent_client(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_a_reply_and_the_status_it_sets_are_one_change(
    alice: User, make_ticket: Any, dana: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given Dana's new ticket
    ticket = make_ticket(requester=dana)
    # when Alice answers and sets it pending in one go
    with django_capture_on_commit_callbacks(execute=True):
        response = _agent_client(alice).post(
            f"/agent/tickets/{ticket.number}/reply",
            {"kind": "reply", "body": "Please send a screenshot.", "status": "pending"},
        )
    # then the reply, the first response and both status moves were written together
    assert response.status_code == 302, response.content
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert ticket.first_response_at is not None
    moves = list(
        Event.objects.filter(ticket=ticket, kind=EventKind.STATUS)
        .order_by("created_at", "id")
        .values_list("old", "new")
    )
    assert moves == [("new", "open"), ("open", "pending")]


def test_a_reply_with_a_status_the_ticket_cannot_take_writes_nothing(
    alice: User, make_ticket: Any, dana: User
) -> None:
    # given Dana's ticket, solved and then closed
    ticket = make_ticket(requester=dana)
    from opora.tickets import actions

    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    before = _counts()
    outbox = Delivery.objects.count()
    # when Alice replies and asks for a status a solved ticket cannot go to
    response = _agent_client(alice).post(
        f"/agent/tickets/{ticket.number}/reply",
        {"kind": "reply", "body": "One more thing.", "status": "on_hold"},
    )
    # then the page says why, and neither the reply nor anything else was written
    assert response.status_code == 400
    assert _counts() == before
    assert Delivery.objects.count() == outbox
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_many_long_tags_are_kept_and_the_history_summarises_them(
    api: Any, alice: User, make_ticket: Any, dana: User
) -> None:
    # given Dana's ticket
    ticket = make_ticket(requester=dana)
    tags = [f"customer-segment-{i:02d}-enterprise-plan" for i in range(40)]
    # when Alice tags it with forty long tags at once
    response = api(alice).patch(f"/tickets/{ticket.number}", {"tags": tags})
    # then all of them are on the ticket, and its history keeps the whole list
    assert response.status_code == 200, response.content
    assert sorted(response.json()["tags"]) == sorted(tags)
    event = Event.objects.get(ticket=ticket, kind=EventKind.TAGS)
    assert len(event.new) <= 255 and event.new.endswith("…")
    assert event.data["current"] == sorted(tags)
