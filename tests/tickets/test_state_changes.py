"""Ticket state changes as the desk sees them: refusals that name their code and field
and write nothing, the audit timeline's actor and previous value, the status dates,
tag limits, and how a new ticket's first message is stored."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from opora.accounts.actions import create_team
from opora.accounts.models import Team, User
from opora.core.errors import OporaError
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from opora.tickets.attachments import IncomingFile
from opora.tickets.cleaning import MAX_TAGS
from opora.tickets.models import Event, Message, Ticket
from tests.conftest import Api

MakeTicket = Callable[..., Ticket]
ApiFor = Callable[[User | None], Api]


def _refused(call: Callable[[], object], *, code: str, field: str, message: str) -> None:
    with pytest.raises(OporaError) as refused:
        call()
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message == message


def _api_refused(response: Any, *, status: int, code: str, field: str, message: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["message"] == message


def _latest(ticket: Ticket, kind: str) -> Event:
    return Event.objects.filter(ticket=ticket, kind=kind).latest("id")


@pytest.fixture
def ticket(make_ticket: MakeTicket, dana: User) -> Ticket:
    return make_ticket(dana)


# --- refusals ---


def test_an_unknown_status_or_a_forbidden_move_is_refused_and_changes_nothing(
    ticket: Ticket, alice: User
) -> None:
    _refused(
        lambda: actions.update_ticket(ticket, TicketChanges(status="archived"), by=alice),
        code="invalid_choice",
        field="status",
        message="Unknown status “archived”.",
    )
    _refused(
        lambda: actions.update_ticket(ticket, TicketChanges(status="closed"), by=alice),
        code="invalid_transition",
        field="status",
        message="A ticket cannot go from “new” to “closed”.",
    )
    assert Ticket.objects.get(pk=ticket.pk).status == "new"
    assert not Event.objects.filter(ticket=ticket, kind="status_changed").exists()


def test_customers_are_told_which_field_only_agents_may_change(
    api: ApiFor, ticket: Ticket, dana: User, support: Team
) -> None:
    client = api(dana)
    path = f"/tickets/{ticket.number}"
    for change, field in (
        ({"team": support.pk}, "team"),
        ({"add_tags": ["urgent"]}, "tags"),
        ({"remove_tags": ["printer"]}, "tags"),
        ({"status": "pending"}, "status"),
        ({"status": "open"}, "status"),  # reopening what is not solved
    ):
        _api_refused(
            client.patch(path, change),
            status=403,
            code="agents_only",
            field=field,
            message=f"Only agents may change {field}.",
        )
    assert Ticket.objects.get(pk=ticket.pk).status == "new"
    assert not ticket.tags.exists()


def test_an_unknown_team_or_assignee_is_refused_with_its_reason(
    api: ApiFor, ticket: Ticket, alice: User, otto: User, dana: User
) -> None:
    client = api(alice)
    path = f"/tickets/{ticket.number}"
    _api_refused(
        client.patch(path, {"team": 98765}),
        status=422,
        code="unknown_team",
        field="team",
        message="No such team.",
    )
    _api_refused(
        client.patch(path, {"assignee": dana.pk}),
        status=422,
        code="unknown_assignee",
        field="assignee",
        message="The assignee must be an active agent.",
    )
    _api_refused(
        client.patch(path, {"assignee": otto.pk}),
        status=422,
        code="not_team_member",
        field="assignee",
        message="Otto is not a member of this ticket's team.",
    )
    unchanged = Ticket.objects.get(pk=ticket.pk)
    assert (unchanged.team_id, unchanged.assignee_id) == (ticket.team_id, None)


def test_a_ticket_holds_as_many_tags_as_allowed_and_not_one_more(
    ticket: Ticket, alice: User
) -> None:
    # given a ticket one tag short of the limit (short names: the tags-changed event
    # keeps the whole list in a 255-character column)
    names = [f"t{i}" for i in range(MAX_TAGS - 1)]
    actions.update_ticket(ticket, TicketChanges(tags=names), by=alice)
    # when one more is added, the ticket is full
    actions.update_ticket(ticket, TicketChanges(add_tags=["last"]), by=alice)
    assert ticket.tags.count() == MAX_TAGS
    # then another is refused and nothing changes
    _refused(
        lambda: actions.update_ticket(ticket, TicketChanges(add_tags=["extra"]), by=alice),
        code="too_many",
        field="tags",
        message="Too many tags.",
    )
    assert ticket.tags.count() == MAX_TAGS


def test_opening_a_ticket_is_refused_for_a_customer_on_anothers_behalf_or_an_unknown_channel(
    dana: User, charlie: User, alice: User
) -> None:
    _refused(
        lambda: actions.create_ticket(requester=charlie, by=dana, subject="Hi", body="Hello"),
        code="agents_only",
        field="requester",
        message="Only agents may open tickets for someone else.",
    )
    _refused(
        lambda: actions.create_ticket(
            requester=dana, by=alice, subject="Hi", body="Hello", channel="pigeon"
        ),
        code="invalid_choice",
        field="channel",
        message="Unknown channel.",
    )
    assert not Ticket.objects.exists()


# --- the audit timeline ---


def test_the_timeline_records_who_changed_team_assignee_and_tags_and_what_was_before(
    ticket: Ticket, ada: User, alice: User, support: Team
) -> None:
    # given Dana's ticket in Support, assigned to Alice, with a tag
    night = create_team(name="Night", members=[alice.pk], by=ada)
    actions.update_ticket(ticket, TicketChanges(assignee=alice.pk, tags=["printer"]), by=alice)
    # when Ada moves it to the Night team and changes its tags
    actions.update_ticket(ticket, TicketChanges(team=night.pk, tags=["fax"]), by=ada)
    # then each change names its actor and the value before it
    team = _latest(ticket, "team_changed")
    assert (team.actor, team.old, team.new) == (ada, str(support.pk), str(night.pk))
    assigned = _latest(ticket, "assigned")
    assert (assigned.actor, assigned.old, assigned.new) == (alice, "", str(alice.pk))
    tags = _latest(ticket, "tags_changed")
    assert (tags.actor, tags.old, tags.new) == (ada, "printer", "fax")
    # and moving it to the team it is in already records nothing
    actions.update_ticket(ticket, TicketChanges(team=night.pk), by=ada)
    assert Event.objects.filter(ticket=ticket, kind="team_changed").count() == 2


def test_a_ticket_sent_back_to_triage_leaves_its_team(
    api: ApiFor, ticket: Ticket, alice: User, support: Team
) -> None:
    response = api(alice).patch(f"/tickets/{ticket.number}", {"team": None})
    assert response.status_code == 200, response.content
    assert Ticket.objects.get(pk=ticket.pk).team_id is None
    event = _latest(ticket, "team_changed")
    assert (event.actor, event.old, event.new) == (alice, str(support.pk), "")


def test_unlinking_a_problem_records_who_did_it(
    make_ticket: MakeTicket, dana: User, alice: User
) -> None:
    incident = make_ticket(dana)
    problem = make_ticket(dana, by=alice, type="problem", subject="Print server down")
    actions.link_problem(incident, problem, by=alice)
    actions.unlink_problem(incident, by=alice)
    unlinked = _latest(incident, "problem_unlinked")
    assert (unlinked.actor, unlinked.old) == (alice, str(problem.number))


def test_a_message_event_tells_its_channel_files_and_whether_a_bot_wrote_it(
    ticket: Ticket, alice: User, dana: User
) -> None:
    files = [
        IncomingFile(name=f"{n}.txt", content=io.BytesIO(b"x"), size=1, content_type="text/plain")
        for n in ("a", "b")
    ]
    reply = actions.add_message(ticket, by=alice, body="Two logs attached", attachments=files)
    answer = actions.add_automated_reply(ticket, by=alice, body="This article may help.")
    customer = actions.add_message(ticket, by=dana, body="By mail", channel="email")
    events = {e.new: e.data for e in Event.objects.filter(ticket=ticket, kind="reply_added")}
    assert events[str(reply.pk)] == {"channel": "api", "attachments": 2}
    assert events[str(answer.pk)]["automated"] is True
    assert events[str(customer.pk)] == {"channel": "email", "attachments": 0}


# --- status dates ---


def test_solving_closing_and_reopening_set_and_clear_their_dates(
    ticket: Ticket, alice: User, dana: User
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        actions.add_message(ticket, by=alice, body="Done.")
        actions.update_ticket(ticket, TicketChanges(status="pending"), by=alice)
        assert Ticket.objects.get(pk=ticket.pk).closed_at is None
        solved_at = timezone.now()
        actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
        found = Ticket.objects.get(pk=ticket.pk)
        assert (found.solved_at, found.closed_at) == (solved_at, None)
        # when Dana writes back, the ticket is open and no longer solved
        clock.shift(60)
        actions.add_message(ticket, by=dana, body="Not quite.")
        found = Ticket.objects.get(pk=ticket.pk)
        assert (found.status, found.solved_at) == ("open", None)
        # when it is solved and closed, both moments are kept
        clock.shift(60)
        actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
        clock.shift(60)
        closed_at = timezone.now()
        actions.update_ticket(ticket, TicketChanges(status="closed"), by=alice)
        found = Ticket.objects.get(pk=ticket.pk)
        assert found.closed_at == closed_at
        assert found.solved_at is not None and found.solved_at < closed_at


# --- a new ticket and its messages ---


@pytest.mark.parametrize(("channel", "author"), [("email", "dana"), ("phone", "alice")])
def test_an_agents_ticket_is_written_by_the_customer_unless_it_was_a_phone_call(
    request: pytest.FixtureRequest, dana: User, alice: User, channel: str, author: str
) -> None:
    ticket = actions.create_ticket(
        requester=dana, by=alice, subject="Printer", body="It jams.", channel=channel
    )
    first = Message.objects.get(ticket=ticket)
    assert first.author == request.getfixturevalue(author)
    assert first.channel == channel


def test_a_new_ticket_keeps_its_tags_language_and_formatted_text(dana: User, alice: User) -> None:
    User.objects.filter(pk=dana.pk).update(language="ru")
    dana.refresh_from_db()
    ticket = actions.create_ticket(
        requester=dana,
        by=alice,
        subject="Printer",
        body="It does not print.",
        body_html="<p>It does <b>not</b> print.<script>alert(1)</script></p>",
        tags=["Printer", "floor 3"],
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["floor-3", "printer"]
    assert ticket.language == "ru"
    html = Message.objects.get(ticket=ticket).body_html
    assert "<b>not</b>" in html and "script" not in html


def test_a_message_keeps_its_mail_identity_and_formatting(
    ticket: Ticket, dana: User, alice: User
) -> None:
    actions.add_message(
        ticket,
        by=dana,
        body="See below",
        body_html="<p><i>See</i> below</p>",
        channel="email",
        external_id="abc@acme.test",
    )
    stored = Message.objects.get(external_id="abc@acme.test")
    assert (stored.ticket_id, stored.channel, stored.author) == (ticket.pk, "email", dana)
    assert "<i>See</i>" in stored.body_html
    # and a plain-text reply gets an HTML version of its text
    plain = actions.add_message(ticket, by=alice, body="Plain words")
    assert "Plain words" in Message.objects.get(pk=plain.pk).body_html
