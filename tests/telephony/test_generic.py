"""The generic, signed JSON format: an answered call and a missed one from the webhook to
the ticket, the call-back and the KPIs; forged, replayed, duplicate, unknown and bad
events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from opora.accounts.models import Identity, IdentityKind, Team, User
from opora.core import clock
from opora.reports.kpis import ReportFilter, all_kpis
from opora.telephony import cards
from opora.telephony.models import Call, CallEvent, Outcome, PhoneLine
from opora.telephony.selectors import open_callbacks
from opora.tickets.actions import TicketChanges, update_ticket
from opora.tickets.models import Channel, Message, Ticket, TimeEntry
from tests.telephony.conftest import CUSTOMER, generic_event, new_call_id, post_generic
from tests.writes import nothing_written

RECORDING = "https://pbx.example.com/recordings/answered.mp3"


def _kpis() -> dict[str, object]:
    now = clock.now()
    return all_kpis(ReportFilter(start=now - timedelta(days=1), end=now + timedelta(days=1)))


def test_an_answered_call_opens_a_ticket_assigns_the_agent_and_logs_the_talk_time(
    generic_line: PhoneLine, support: Team, alice: User, ada: User
) -> None:
    call_id = new_call_id()
    ringing = post_generic(generic_line, generic_event("ringing", call_id))
    assert ringing.status_code == 200, ringing.content
    assert ringing.json()["outcome"] == "ringing"

    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PHONE
    assert ticket.team_id == support.pk
    assert ticket.requester.identities.filter(kind=IdentityKind.PHONE, value=CUSTOMER).exists()
    call = Call.objects.get()
    assert (call.ticket_id, call.direction, call.caller_number) == (ticket.pk, "in", CUSTOMER)
    assert call.outcome == ""

    answered = post_generic(
        generic_line, generic_event("answered", call_id, agent="alice@desk.test")
    )
    assert answered.json()["outcome"] == "answered"
    ticket.refresh_from_db()
    assert ticket.assignee_id == alice.pk

    ended = post_generic(
        generic_line,
        generic_event("ended", call_id, duration=185, recording_url=RECORDING),
    )
    assert ended.json()["outcome"] == "ended"
    call.refresh_from_db()
    assert (call.outcome, call.duration, call.recording_url) == (
        Outcome.ANSWERED,
        185,
        RECORDING,
    )
    assert call.agent_id == alice.pk
    assert call.callback_due_at is None
    entry = TimeEntry.objects.get(ticket=ticket)
    assert (entry.agent_id, entry.minutes, entry.pk) == (alice.pk, 4, call.time_entry_id)

    # Solved as an incident: the call's minutes are in the cost and "% with logged time".
    update_ticket(ticket, TicketChanges(type="incident", status="solved"), by=alice)
    kpis = _kpis()
    assert kpis["logged_minutes"] == 4
    assert kpis["incidents_with_time_rate"] == 100.0


def test_a_missed_call_waits_for_a_call_back_until_an_agent_calls_the_person(
    generic_line: PhoneLine, alice: User
) -> None:
    call_id = new_call_id()
    post_generic(generic_line, generic_event("ringing", call_id))
    ended_at = clock.now()
    post_generic(generic_line, generic_event("ended", call_id, at=ended_at.isoformat()))

    missed = Call.objects.get()
    assert missed.outcome == Outcome.MISSED
    # No business calendar: 60 minutes around the clock.
    assert missed.callback_due_at is not None
    assert abs((missed.callback_due_at - ended_at) - timedelta(minutes=60)) < timedelta(seconds=2)
    assert [c.pk for c in open_callbacks(alice)] == [missed.pk]
    assert not TimeEntry.objects.exists()

    # The agent calls back from the PBX: the call joins the ticket and settles it.
    back = new_call_id()
    out = {"direction": "out", "from": "101", "to": CUSTOMER, "agent": "101"}
    post_generic(generic_line, generic_event("ringing", back, **out))
    post_generic(generic_line, generic_event("answered", back, **out))
    post_generic(generic_line, generic_event("ended", back, duration=42, **out))

    callback = Call.objects.get(provider_call_id=back)
    assert callback.ticket_id == missed.ticket_id
    assert (callback.outcome, callback.agent_id) == (Outcome.ANSWERED, alice.pk)
    missed.refresh_from_db()
    assert missed.callback_done_at is not None
    assert missed.callback_done_by_id == alice.pk
    assert list(open_callbacks(alice)) == []
    assert TimeEntry.objects.get().minutes == 1
    assert Ticket.objects.count() == 1


def test_a_call_seen_only_when_it_ended_still_opens_a_ticket_with_a_call_back(
    make_line: Callable[..., PhoneLine],
) -> None:
    line = make_line("generic", callback_minutes=30)
    post_generic(line, {"event": "ended", "call_id": new_call_id(), "from": CUSTOMER})
    call = Call.objects.get()
    assert call.outcome == Outcome.MISSED
    assert call.ticket is not None
    assert call.callback_due_at is not None and call.ended_at is not None
    assert call.callback_due_at - call.ended_at == timedelta(minutes=30)


def test_a_second_call_from_the_same_person_joins_their_open_phone_ticket(
    generic_line: PhoneLine,
) -> None:
    for _ in range(2):
        call_id = new_call_id()
        post_generic(generic_line, generic_event("ringing", call_id))
        post_generic(generic_line, generic_event("ended", call_id))
    ticket = Ticket.objects.get()
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert Call.objects.filter(ticket=ticket).count() == 2
    assert User.objects.filter(identities__kind=IdentityKind.PHONE).count() == 1


def test_a_known_verified_phone_finds_the_customer(generic_line: PhoneLine, dana: User) -> None:
    Identity.objects.create(user=dana, kind=IdentityKind.PHONE, value=CUSTOMER, verified=True)
    post_generic(generic_line, generic_event("ringing", new_call_id()))
    assert Ticket.objects.get().requester_id == dana.pk


def test_a_duplicate_event_is_taken_once(generic_line: PhoneLine) -> None:
    event = generic_event("ringing", new_call_id())
    first = post_generic(generic_line, event)
    again = post_generic(generic_line, event)
    assert first.json()["outcome"] == "ringing"
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert Call.objects.count() == 1
    assert Message.objects.count() == 1
    assert CallEvent.objects.count() == 1


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "no signature", "an old timestamp"],
)
def test_a_forged_event_is_refused_and_nothing_is_written(
    generic_line: PhoneLine, how: str
) -> None:
    event = generic_event("ringing", new_call_id())
    with nothing_written(generic_line):
        if how == "wrong secret":
            answer = post_generic(generic_line, event, secret="x" * 40)
        elif how == "an old timestamp":
            answer = post_generic(generic_line, event, timestamp=time.time() - 301)
        else:
            from django.test import Client

            answer = Client().post(
                f"/channels/phone/{generic_line.pk}/generic",
                json.dumps(event),
                content_type="application/json",
            )
    assert answer.status_code == 403
    assert answer.json()["code"] == "wrong_signature"


def test_an_unknown_event_is_noted_and_ignored(generic_line: PhoneLine) -> None:
    answer = post_generic(generic_line, {"event": "transferred", "call_id": "x-1"})
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "ignored"
    assert not Ticket.objects.exists()
    assert CallEvent.objects.get().outcome == "ignored"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (json.dumps({"event": "ringing"}).encode(), 400),  # no call id
        (json.dumps({"event": "ended", "call_id": "a", "duration": -5}).encode(), 400),
        (json.dumps({"event": "ended", "call_id": "a", "outcome": "great"}).encode(), 400),
        (json.dumps({"event": "ringing", "call_id": "a", "direction": "up"}).encode(), 400),
        (
            json.dumps(
                {"event": "ended", "call_id": "a", "recording_url": "javascript:x"}
            ).encode(),
            400,
        ),
        (json.dumps({"event": "ringing", "call_id": "a" * 129}).encode(), 400),
        (b"{" + b" " * (70 * 1024) + b"}", 413),
    ],
)
def test_bad_events_get_a_clear_4xx_and_open_no_ticket(
    generic_line: PhoneLine, body: bytes, status: int
) -> None:
    answer = post_generic(generic_line, body)
    assert answer.status_code == status
    assert "code" in answer.json()
    assert not Ticket.objects.exists()
    assert not Call.objects.exists()


def test_the_address_must_name_the_lines_provider(generic_line: PhoneLine) -> None:
    from django.test import Client

    answer = Client().post(f"/channels/phone/{generic_line.pk}/twilio", {"CallSid": "x"})
    assert answer.status_code == 404
    assert Client().post("/channels/phone/999999/generic", {}).status_code == 404


def test_the_caller_card_is_built_for_each_agent_from_what_they_may_open(
    generic_line: PhoneLine, alice: User, otto: User, make_ticket: Callable[..., Any]
) -> None:
    post_generic(generic_line, generic_event("ringing", new_call_id()))
    call = Call.objects.select_related("ticket", "line").get()
    assert call.ticket is not None
    person = call.ticket.requester
    person.name = "Pavel Petrov"
    person.save(update_fields=["name"])
    call.ticket.requester = person
    # Another open ticket of the caller, in the same team.
    older = make_ticket(person, subject="Invoice is wrong")

    card = cards.card_for(call, alice)
    assert card is not None
    assert card["name"] == "Pavel Petrov"
    assert card["number"] == CUSTOMER
    assert card["ticket"]["number"] == call.ticket.number
    assert [t["number"] for t in card["open_tickets"]] == [older.number]
    # Otto is in another team: his workspace gets no card for this call.
    assert cards.card_for(call, otto) is None
    assert {u.pk for u in cards.recipients(call)} >= {alice.pk}
    assert otto.pk not in {u.pk for u in cards.recipients(call)}
