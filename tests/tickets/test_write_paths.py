"""The one write path for tickets and messages, called as channels and entry points call it."""

from __future__ import annotations

import io
from typing import Any

import pytest

from opora.accounts.models import Team, User
from opora.core.errors import Forbidden, NotFound, OporaError, ValidationFailed
from opora.sla.models import BusinessCalendar, SlaPolicy, TicketSla
from opora.tickets import actions
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Event, EventKind, Message, Ticket


def _file(name: str = "log.txt") -> IncomingFile:
    data = b"line 1\nline 2\n"
    return IncomingFile(
        name=name, content=io.BytesIO(data), size=len(data), content_type="text/plain"
    )


# --- opening -------------------------------------------------------------------------


def test_a_channel_routes_its_tickets_from_the_start(dana: User, support: Team) -> None:
    # given a channel that files its tickets in Support and tags them
    first = actions.prepare_ticket(requester=dana, subject="A", body="a", by=dana, channel="email")
    second = actions.prepare_ticket(requester=dana, subject="B", body="b", by=dana, channel="email")
    for prepared in (first, second):
        prepared.route_to = support
    second.channel_tags = ["Needs Review"]
    # when both open in one batch
    [(a, _), (b, _)] = actions.create_tickets([first, second])
    # then both are Support's from the start, the SLA row says so too, and the history
    # says the channel (nobody) put them there
    for ticket in (a, b):
        ticket.refresh_from_db()
        assert ticket.team_id == support.pk
        assert TicketSla.objects.get(ticket=ticket).team_id == support.pk
        routed = Event.objects.get(ticket=ticket, kind=EventKind.TEAM)
        assert (routed.actor_id, routed.old, routed.new) == (None, "", str(support.pk))
    assert list(a.tags.values_list("name", flat=True)) == []
    assert list(b.tags.values_list("name", flat=True)) == ["needs-review"]
    tagged = Event.objects.get(ticket=b, kind=EventKind.TAGS)
    assert (tagged.actor_id, tagged.new) == (None, "needs-review")


def test_routing_to_the_team_a_ticket_already_has_records_nothing(
    alice: User, dana: User, support: Team
) -> None:
    prepared = actions.prepare_ticket(requester=dana, subject="A", body="a", by=alice, team=support)
    prepared.route_to = support
    [(ticket, _)] = actions.create_tickets([prepared])
    assert ticket.team_id == support.pk
    assert not Event.objects.filter(ticket=ticket, kind=EventKind.TEAM).exists()


def test_a_new_ticket_keeps_its_first_message_as_sent(dana: User) -> None:
    ticket = actions.create_ticket(
        requester=dana,
        subject="Printer",
        body="It is broken.",
        by=dana,
        channel="email",
        language="ru",
        external_id="m1@acme.test",
        attachments=[_file()],
    )
    first = Message.objects.get(ticket=ticket)
    assert (ticket.language, first.external_id, first.body) == (
        "ru",
        "m1@acme.test",
        "It is broken.",
    )
    assert first.attachments.count() == 1
    added = Event.objects.get(ticket=ticket, kind=EventKind.REPLY)
    assert added.data["attachments"] == 1


def test_without_html_or_message_id_the_first_message_is_plain(dana: User) -> None:
    ticket = actions.create_ticket(requester=dana, subject="Hi", body="Line one", by=dana)
    first = Message.objects.get(ticket=ticket)
    assert first.external_id == ""
    assert first.body_html == "<p>Line one</p>"
    assert ticket.language == dana.language


def test_an_agent_names_a_new_requester_by_address_and_name(alice: User) -> None:
    ticket = actions.create_ticket(
        requester="Erin@Example.test", requester_name="Erin E.", subject="Call", body="x", by=alice
    )
    assert (ticket.requester.email, ticket.requester.name) == ("erin@example.test", "Erin E.")


def test_a_customer_cannot_name_a_requester_by_address(dana: User) -> None:
    users = User.objects.count()
    with pytest.raises(Forbidden) as refused:
        actions.create_ticket(requester="erin@example.test", subject="x", body="x", by=dana)
    assert (refused.value.code, refused.value.field) == ("agents_only", "requester")
    assert refused.value.message == "Only agents may open tickets for someone else."
    assert User.objects.count() == users


def test_a_requester_address_that_is_not_one_is_refused_on_its_field(alice: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        actions.create_ticket(requester="not an address", subject="x", body="x", by=alice)
    assert refused.value.code == "invalid_email"
    assert refused.value.field == "requester"


# --- messages ------------------------------------------------------------------------


def test_the_desks_reply_opens_a_new_ticket_in_the_agents_name(
    alice: User, dana: User, make_ticket: Any
) -> None:
    ticket = make_ticket(dana)
    message = actions.add_message(ticket, by=alice, body="On it.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == ("open", message.created_at)
    opened = Event.objects.get(ticket=ticket, kind=EventKind.STATUS)
    assert (opened.actor_id, opened.old, opened.new) == (alice.pk, "new", "open")
    assert message.external_id == ""


def test_a_colleagues_reply_is_not_the_desks_first_response(
    dana: User, dave: User, make_ticket: Any
) -> None:
    # given Dana's ticket, which her colleague Dave may see (Acme shares tickets)
    ticket = make_ticket(dana)
    # when Dave adds to it
    actions.add_message(ticket, by=dave, body="Same here.")
    # then the desk has still not answered
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == ("new", None)


def test_only_agents_set_a_status_with_a_reply(dana: User, make_ticket: Any) -> None:
    ticket = make_ticket(dana)
    with pytest.raises(Forbidden) as refused:
        actions.add_message(ticket, by=dana, body="Done?", status="solved")
    assert (refused.value.code, refused.value.field) == ("agents_only", "status")
    assert refused.value.message == "Only agents may change status."
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_a_reply_with_a_status_moves_it_in_the_agents_name(
    alice: User, dana: User, make_ticket: Any
) -> None:
    ticket = make_ticket(dana)
    actions.add_message(ticket, by=alice, body="Fixed.", status="solved")
    moves = list(
        Event.objects.filter(ticket=ticket, kind=EventKind.STATUS)
        .order_by("id")
        .values_list("actor_id", "old", "new")
    )
    assert moves == [(alice.pk, "new", "open"), (alice.pk, "open", "solved")]


def test_a_closed_ticket_takes_no_message(alice: User, dana: User, make_ticket: Any) -> None:
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    actions.update_ticket(ticket, actions.TicketChanges(status="closed"), by=alice)
    with pytest.raises(ValidationFailed) as refused:
        actions.add_message(ticket, by=dana, body="Hello?")
    assert (refused.value.code, refused.value.field) == ("ticket_closed", "ticket")
    assert refused.value.message == "This ticket is closed; please open a new request."


def test_a_ticket_that_is_gone_is_not_found(dana: User, make_ticket: Any) -> None:
    ticket = make_ticket(dana)
    Ticket.objects.filter(pk=ticket.pk).delete()
    with pytest.raises(NotFound) as refused:
        actions.add_message(ticket, by=dana, body="Hello?")
    assert refused.value.code == "not_found"
    assert refused.value.message == "ticket not found"


def test_a_long_message_id_is_cut_to_what_mail_allows(dana: User, make_ticket: Any) -> None:
    ticket = make_ticket(dana)
    message = actions.add_message(ticket, by=dana, body="x", external_id="a" * 1200)
    message.refresh_from_db()
    assert message.external_id == "a" * 998


def test_in_a_batch_a_refused_message_holds_back_only_its_own_ticket(
    alice: User, dana: User, dave: User, make_ticket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two tickets, one of them closed
    open_one, closed = make_ticket(dana), make_ticket(dave)
    actions.update_ticket(closed, actions.TicketChanges(status="solved"), by=alice)
    actions.update_ticket(closed, actions.TicketChanges(status="closed"), by=alice)
    monkeypatch.setattr("opora.tickets.cleaning.MAX_BODY_CHARS", 50)
    replies = [
        actions.NewMessage(ticket_id=closed.pk, by=dave, body="Still broken"),
        actions.NewMessage(ticket_id=open_one.pk, by=dana, body="x" * 60),  # too long
        actions.NewMessage(ticket_id=open_one.pk, by=dana, body="Short"),
        actions.NewMessage(ticket_id=999_999, by=dana, body="Nobody's"),
    ]
    # when a channel adds them all, skipping what is refused
    added = actions.add_messages(replies, refused="skip")
    # then nothing was added, each refused one and its ticket's others left in their place
    assert added == [None, None, None, None]
    assert Message.objects.filter(ticket__in=[open_one, closed]).count() == 2
    # and with the refusals raised, the first one stops the whole batch
    with pytest.raises(OporaError):
        actions.add_messages(replies)


def test_in_a_batch_the_acceptable_messages_go_in_in_order(
    dana: User, dave: User, make_ticket: Any
) -> None:
    first, second = make_ticket(dana), make_ticket(dave)
    added = actions.add_messages(
        [
            actions.NewMessage(ticket_id=first.pk, by=dana, body="One"),
            actions.NewMessage(ticket_id=second.pk, by=dave, body="Two"),
            actions.NewMessage(ticket_id=first.pk, by=dana, body="Three"),
        ],
        refused="skip",
    )
    assert [m.body if m else None for m in added] == ["One", "Two", "Three"]
    assert list(first.messages.order_by("id").values_list("body", flat=True))[1:] == [
        "One",
        "Three",
    ]


def test_the_next_response_is_due_from_the_customers_reply(
    alice: User, dana: User, make_ticket: Any
) -> None:
    # given a policy with a next-response target, and an answered ticket
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    SlaPolicy.objects.create(
        name="All", calendar=calendar, first_response_minutes=60, next_response_minutes=30
    )
    ticket = make_ticket(dana)
    actions.add_message(ticket, by=alice, body="What do you see?")
    # when Dana answers
    reply = actions.add_message(ticket, by=dana, body="A red light.")
    # then the desk's next answer is due 30 minutes after hers
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.next_response_due_at is not None
    assert round((sla.next_response_due_at - reply.created_at).total_seconds()) == 1800


def test_a_new_requester_named_only_by_address_has_no_made_up_name(alice: User) -> None:
    ticket = actions.create_ticket(requester="finn@example.test", subject="x", body="x", by=alice)
    assert ticket.requester.name == ""


def test_only_agents_write_internal_notes(dana: User, make_ticket: Any) -> None:
    ticket = make_ticket(dana)
    with pytest.raises(Forbidden) as refused:
        actions.add_message(ticket, by=dana, body="psst", internal=True)
    assert (refused.value.code, refused.value.field) == ("agents_only", "internal")
    assert refused.value.message == "Only agents may write internal notes."


def test_a_reply_that_solves_records_when(alice: User, dana: User, make_ticket: Any) -> None:
    ticket = make_ticket(dana)
    reply = actions.add_message(ticket, by=alice, body="Fixed.", status="solved")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.solved_at) == ("solved", reply.created_at)
    assert ticket.first_response_at == reply.created_at
    assert ticket.updated_at == reply.created_at


def test_in_a_batch_messages_after_a_refused_one_still_go_in(
    alice: User, dana: User, dave: User, make_ticket: Any
) -> None:
    closed, open_one = make_ticket(dave), make_ticket(dana)
    actions.update_ticket(closed, actions.TicketChanges(status="solved"), by=alice)
    actions.update_ticket(closed, actions.TicketChanges(status="closed"), by=alice)
    added = actions.add_messages(
        [
            actions.NewMessage(ticket_id=closed.pk, by=dave, body="Still broken"),
            actions.NewMessage(ticket_id=open_one.pk, by=dana, body="Thanks"),
        ],
        refused="skip",
    )
    assert added[0] is None
    assert added[1] is not None and added[1].ticket_id == open_one.pk
