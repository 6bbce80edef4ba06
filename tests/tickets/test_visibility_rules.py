"""Visibility rule by rule, for each kind of user: who may open, list, search and
download what. tests/tickets/test_access.py checks that opening and listing agree; here
each rule's edges: inactive accounts, organizations that do or do not share, agents'
teams, triage and assignments, internal notes and their files, and who can be assigned.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opora.accounts.actions import create_organization, create_team, create_user
from opora.accounts.models import Organization, Team, User
from opora.core.errors import NotFound
from opora.tickets import actions
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Attachment, Ticket
from opora.tickets.selectors import (
    TicketFilter,
    access_assignee,
    access_attachment,
    access_ticket,
    filter_tickets,
    time_totals,
    visible_messages,
    visible_tickets,
)
from tests.conftest import Api

MakeTicket = Callable[..., Ticket]
ApiFor = Callable[[User | None], Api]


def _opens(user: User, ticket: Ticket, *, for_update: bool = False) -> bool:
    try:
        with transaction.atomic():
            opened = access_ticket(user, ticket.number, for_update=for_update)
    except NotFound:
        return False
    assert opened.pk == ticket.pk
    return True


def _listed(user: User) -> set[int]:
    return set(visible_tickets(user).values_list("number", flat=True))


def _deactivate(user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def _file(name: str = "log.txt", content: bytes = b"printer log") -> IncomingFile:
    return IncomingFile(
        name=name, content=io.BytesIO(content), size=len(content), content_type="text/plain"
    )


@pytest.mark.parametrize("for_update", [False, True])
def test_an_inactive_account_sees_nothing_not_even_its_own_tickets(
    make_ticket: MakeTicket, ada: User, alice: User, dana: User, for_update: bool
) -> None:
    # given Dana's ticket in triage, which every active agent and the admin may see
    ticket = make_ticket(dana, team=None)
    assert all(_opens(u, ticket, for_update=for_update) for u in (ada, alice, dana))
    # when the three accounts are deactivated
    for user in (ada, alice, dana):
        _deactivate(user)
        # then the ticket neither opens nor is listed for them
        assert not _opens(user, ticket, for_update=for_update), user.email
        assert _listed(user) == set(), user.email


@pytest.mark.parametrize("for_update", [False, True])
def test_a_customer_sees_her_own_and_her_sharing_organizations_tickets(
    make_ticket: MakeTicket,
    ada: User,
    dana: User,
    dave: User,
    charlie: User,
    acme: Organization,
    for_update: bool,
) -> None:
    # given tickets of Dana and Dave (Acme shares tickets), of Charlie (no organization)
    # and of Pat and Sam (Private, which does not share)
    create_organization(name="Private", domains=["private.test"], by=ada)
    pat = create_user(email="pat@private.test", name="Pat", by=None)
    sam = create_user(email="sam@private.test", name="Sam", by=None)
    tickets = {u.email: make_ticket(u) for u in (dana, dave, charlie, pat, sam)}

    def seen(user: User) -> set[str]:
        opened = {e for e, t in tickets.items() if _opens(user, t, for_update=for_update)}
        assert {tickets[e].number for e in opened} == _listed(user), user.email
        return opened

    # then each customer sees exactly these
    assert seen(dana) == seen(dave) == {"dana@acme.test", "dave@acme.test"}
    assert seen(charlie) == {"charlie@outside.test"}
    assert seen(pat) == {"pat@private.test"}
    assert seen(sam) == {"sam@private.test"}
    # when Acme stops sharing, Dana and Dave keep only their own
    Organization.objects.filter(pk=acme.pk).update(shared_tickets=False)
    dana.refresh_from_db()
    assert seen(dana) == {"dana@acme.test"}


def test_a_shared_organization_shows_its_own_tickets_not_another_sharing_one(
    make_ticket: MakeTicket, ada: User, dana: User, acme: Organization
) -> None:
    # given Globex, which shares too, and a ticket of one of its people
    create_organization(name="Globex", domains=["globex.test"], shared_tickets=True, by=ada)
    gina = create_user(email="gina@globex.test", name="Gina", by=None)
    ticket = make_ticket(gina)
    # then Dana of Acme does not see it, Gina's colleague does
    gus = create_user(email="gus@globex.test", name="Gus", by=None)
    assert not _opens(dana, ticket) and ticket.number not in _listed(dana)
    assert _opens(gus, ticket) and ticket.number in _listed(gus)


@pytest.mark.parametrize("for_update", [False, True])
def test_an_agent_sees_their_teams_triage_and_their_own_assignments(
    make_ticket: MakeTicket,
    ada: User,
    alice: User,
    otto: User,
    dana: User,
    support: Team,
    billing: Team,
    for_update: bool,
) -> None:
    # given tickets of Support, of Billing, in no team, and one of the Night team
    # assigned to Alice, who left that team since
    in_support = make_ticket(dana, team=support)
    in_billing = make_ticket(dana, team=billing)
    in_triage = make_ticket(dana, team=None)
    night = create_team(name="Night", members=[alice.pk], by=ada)
    hers = make_ticket(dana, team=night)
    actions.update_ticket(hers, actions.TicketChanges(assignee=alice.pk), by=ada)
    night.members.remove(alice)

    def seen(user: User) -> set[int]:
        all_four = (in_support, in_billing, in_triage, hers)
        opened = {t.number for t in all_four if _opens(user, t, for_update=for_update)}
        assert opened == _listed(user), user.email
        return opened

    # then Alice (Support) sees Support's, triage and the one assigned to her
    assert seen(alice) == {in_support.number, in_triage.number, hers.number}
    # and Otto (Billing) sees Billing's and triage
    assert seen(otto) == {in_billing.number, in_triage.number}
    # and Ada, the admin, sees everything
    assert seen(ada) == {t.number for t in (in_support, in_billing, in_triage, hers)}
    # when Alice joins Billing too, she sees both teams' tickets
    billing.members.add(alice)
    assert seen(otto) == {in_billing.number, in_triage.number}
    assert seen(alice) == {t.number for t in (in_support, in_billing, in_triage, hers)}


def test_an_opened_ticket_without_organization_team_or_assignee_has_none(
    make_ticket: MakeTicket, alice: User, charlie: User
) -> None:
    ticket = make_ticket(charlie, team=None)
    opened = access_ticket(alice, ticket.number)
    assert (opened.organization, opened.team, opened.assignee) == (None, None, None)
    assert opened.requester == charlie
    assert opened.number == ticket.number


def test_customers_read_the_conversation_without_internal_notes_in_order(
    api: ApiFor, make_ticket: MakeTicket, dana: User, dave: User, alice: User
) -> None:
    # given a conversation with an internal note in the middle, all in the same second
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        ticket = make_ticket(dana, body="It jams.")
        actions.add_message(ticket, by=alice, body="Old firmware, see wiki", internal=True)
        actions.add_message(ticket, by=alice, body="Please update the firmware.")
        actions.add_message(ticket, by=dave, body="Updated, thanks.")

    def bodies(user: User) -> list[str]:
        response = api(user).get(f"/tickets/{ticket.number}/messages")
        assert response.status_code == 200
        return [m["body"] for m in response.json()]

    # then customers read the public messages in the order they were written
    public = ["It jams.", "Please update the firmware.", "Updated, thanks."]
    assert bodies(dana) == bodies(dave) == public
    # and agents read the note too, in its place
    assert bodies(alice) == [public[0], "Old firmware, see wiki", *public[1:]]
    assert [m.body for m in visible_messages(dana, ticket)] == public


def test_attachments_are_listed_in_the_order_they_were_added(
    make_ticket: MakeTicket, dana: User
) -> None:
    ticket = make_ticket(dana)
    actions.add_message(
        ticket, by=dana, body="Logs", attachments=[_file("b.txt"), _file("a.txt"), _file("c.txt")]
    )
    [_, message] = visible_messages(dana, ticket)
    assert [a.filename for a in message.attachments.all()] == ["b.txt", "a.txt", "c.txt"]


def test_a_file_downloads_only_for_those_who_may_read_its_message(
    api: ApiFor,
    make_ticket: MakeTicket,
    dana: User,
    dave: User,
    charlie: User,
    alice: User,
    otto: User,
    billing: Team,
) -> None:
    # given a public reply and an internal note on Dana's ticket, each with a file
    ticket = make_ticket(dana)
    actions.add_message(ticket, by=alice, body="Driver", attachments=[_file("driver.txt")])
    actions.add_message(
        ticket, by=alice, body="Our notes", internal=True, attachments=[_file("notes.txt")]
    )
    public = Attachment.objects.get(filename="driver.txt")
    note = Attachment.objects.get(filename="notes.txt")

    def downloads(user: User, attachment: Attachment) -> bool:
        status: int = api(user).get(f"/attachments/{attachment.pk}").status_code
        assert status in (200, 404), status
        if status == 404:
            with pytest.raises(NotFound):
                access_attachment(user, attachment.pk)
        return status == 200

    # then the public file is for the ticket's customers and its team
    assert [downloads(u, public) for u in (dana, dave, alice)] == [True, True, True]
    assert [downloads(u, public) for u in (charlie, otto)] == [False, False]
    # and the note's file for the team only
    assert [downloads(u, note) for u in (dana, dave, charlie, otto)] == [False] * 4
    assert downloads(alice, note)
    # and an unknown file is simply not found
    with pytest.raises(NotFound):
        access_attachment(alice, note.pk + 1000)


def test_only_active_agents_and_admins_can_be_assigned(
    api: ApiFor, make_ticket: MakeTicket, ada: User, alice: User, bob: User, dana: User
) -> None:
    ticket = make_ticket(dana)
    assert access_assignee(alice.pk) == alice
    assert access_assignee(ada.pk) == ada
    _deactivate(bob)
    for user_id in (dana.pk, bob.pk, 424242):
        with pytest.raises(NotFound):
            access_assignee(user_id)
        # and through the API the refusal leaves the ticket unassigned
        response = api(alice).patch(f"/tickets/{ticket.number}", {"assignee": user_id})
        assert response.json()["code"] == "unknown_assignee", response.content
        assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_a_customers_search_never_matches_words_of_internal_notes(
    api: ApiFor, make_ticket: MakeTicket, dana: User, alice: User
) -> None:
    # given Dana's ticket whose only mention of "refund" is in an internal note
    ticket = make_ticket(dana, subject="Broken printer", body="It does not print.")
    actions.add_message(ticket, by=alice, body="Offer a refund if it fails again", internal=True)

    def found(user: User, q: str) -> list[int]:
        response = api(user).get("/tickets", {"q": q})
        assert response.status_code == 200, response.content
        return [t["number"] for t in response.json()["items"]]

    # then the agent finds it by the note, Dana does not
    assert found(alice, "refund") == [ticket.number]
    assert found(dana, "refund") == []
    # and both find it by its subject, its public text and its number
    for user in (alice, dana):
        assert found(user, "  printer ") == [ticket.number]
        assert found(user, "NOT PRINT") == [ticket.number]
        assert found(user, f"#{ticket.number}") == [ticket.number]
        assert found(user, str(ticket.number)) == [ticket.number]


def test_list_filters_read_the_current_user_and_normalise_tags(
    make_ticket: MakeTicket, alice: User, bob: User, dana: User
) -> None:
    mine = make_ticket(dana)
    actions.update_ticket(
        mine, actions.TicketChanges(assignee=alice.pk, tags=["printer"]), by=alice
    )
    other = make_ticket(dana)
    actions.update_ticket(other, actions.TicketChanges(assignee=bob.pk), by=alice)

    def numbers(user: User, **kw: Any) -> set[int]:
        found = filter_tickets(visible_tickets(user), TicketFilter(**kw), user=user)
        return set(found.values_list("number", flat=True))

    assert numbers(alice, assignee="me") == {mine.number}
    assert numbers(bob, assignee="me") == {other.number}
    assert numbers(alice, tag=" Printer ") == {mine.number}
    # updated_since includes a ticket updated at that very moment
    mine.refresh_from_db()
    assert mine.number in numbers(alice, updated_since=mine.updated_at)
    later = mine.updated_at + timedelta(microseconds=1)
    assert mine.number not in numbers(alice, updated_since=later)


def test_time_totals_show_the_viewers_own_running_timer_only(
    api: ApiFor, make_ticket: MakeTicket, dana: User, alice: User, bob: User
) -> None:
    ticket = make_ticket(dana, by=alice)
    assert api(bob).post(f"/tickets/{ticket.number}/timer/start").json()["running"] is True
    assert time_totals(ticket, bob).timer_running is True
    assert time_totals(ticket, alice).timer_running is False
    totals = time_totals(ticket, alice)
    assert (totals.minutes, totals.cost) == (0, Decimal("0.00"))


def test_a_ticket_opened_for_update_comes_with_its_people_and_team(
    make_ticket: MakeTicket,
    dana: User,
    alice: User,
    ada: User,
    django_assert_num_queries: Any,
) -> None:
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(assignee=alice.pk), by=ada)
    with transaction.atomic(), django_assert_num_queries(1):
        opened = access_ticket(alice, ticket.number, for_update=True)
        assert opened.organization is not None and opened.team is not None
        assert opened.assignee is not None
        names = [opened.requester.email, opened.organization.name]
        names += [opened.team.name, opened.assignee.email]
    assert names == ["dana@acme.test", "Acme", "Support", "alice@desk.test"]


def test_the_conversation_is_read_in_the_same_number_of_queries_however_long(
    api: ApiFor, make_ticket: MakeTicket, dana: User, alice: User
) -> None:
    ticket = make_ticket(dana)
    client = api(dana)
    client.get(f"/tickets/{ticket.number}/messages")  # first use of the token writes to it

    def queries_for_the_conversation() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/tickets/{ticket.number}/messages").status_code == 200
        return len(queries)

    actions.add_message(ticket, by=alice, body="One", attachments=[_file()])
    short = queries_for_the_conversation()
    for i in range(4):
        actions.add_message(ticket, by=alice, body=f"More {i}", attachments=[_file(), _file()])
    assert queries_for_the_conversation() == short


def test_what_is_not_visible_answers_exactly_like_what_does_not_exist(
    api: ApiFor, make_ticket: MakeTicket, dana: User, charlie: User, alice: User
) -> None:
    # given Dana's ticket with a public file and a file on an internal note
    ticket = make_ticket(dana)
    actions.add_message(ticket, by=alice, body="Driver", attachments=[_file("driver.txt")])
    actions.add_message(ticket, by=alice, body="Ours", internal=True, attachments=[_file()])
    public = Attachment.objects.get(filename="driver.txt")
    note = Attachment.objects.exclude(pk=public.pk).get()
    missing = {"code": "not_found", "detail": "ticket not found"}
    # then Charlie gets for her ticket what anyone gets for a number no ticket has
    for user, number in ((charlie, ticket.number), (dana, 424242)):
        response = api(user).get(f"/tickets/{number}")
        assert response.status_code == 404
        assert {k: response.json()[k] for k in missing} == missing
    # and a file he may not read answers like a file that does not exist
    no_file = {"code": "not_found", "detail": "attachment not found"}
    for user, attachment_id in ((charlie, public.pk), (dana, note.pk), (dana, note.pk + 1000)):
        response = api(user).get(f"/attachments/{attachment_id}")
        assert response.status_code == 404
        assert {k: response.json()[k] for k in no_file} == no_file


def test_a_number_in_the_search_matches_the_text_as_well_as_the_ticket_number(
    api: ApiFor, make_ticket: MakeTicket, dana: User, alice: User
) -> None:
    about = make_ticket(dana, subject="Invoice 2026 is wrong")
    numbered = make_ticket(dana, subject="Printer")
    found = api(alice).get("/tickets", {"q": "2026"}).json()["items"]
    assert about.number in [t["number"] for t in found]
    found = api(alice).get("/tickets", {"q": str(numbered.number)}).json()["items"]
    assert numbered.number in [t["number"] for t in found]


def test_a_customer_keeps_her_tickets_from_before_she_joined_an_organization(
    make_ticket: MakeTicket, charlie: User, dana: User, acme: Organization
) -> None:
    # given Charlie's ticket from when he had no organization, and Dana's of Acme
    before = make_ticket(charlie)
    danas = make_ticket(dana)
    assert before.organization_id is None
    # when he joins Acme, which shares its tickets
    User.objects.filter(pk=charlie.pk).update(organization=acme)
    charlie.refresh_from_db()
    # then he sees his old ticket and Acme's
    assert _opens(charlie, before) and _opens(charlie, danas)
    assert _listed(charlie) == {before.number, danas.number}
    # and Acme's people do not see the ticket from before he joined
    assert not _opens(dana, before)


def test_the_queue_sorts_by_the_due_time_that_matters_now(
    api: ApiFor, make_ticket: MakeTicket, dana: User, alice: User
) -> None:
    # given an unanswered ticket (its first response due in 2 h, resolution in 1 h), an
    # answered one (resolution due in 1.5 h, the old first-response time 3 h away), one
    # with only a resolution time (4 h) and one without any
    now = timezone.now()

    def ticket(first: float | None, resolution: float | None, *, answered: bool) -> Ticket:
        made = make_ticket(dana)
        Ticket.objects.filter(pk=made.pk).update(
            first_response_due_at=None if first is None else now + timedelta(hours=first),
            resolution_due_at=None if resolution is None else now + timedelta(hours=resolution),
            first_response_at=now if answered else None,
        )
        return made

    unanswered = ticket(2, 1, answered=False)
    answered = ticket(3, 1.5, answered=True)
    resolution_only = ticket(None, 4, answered=False)
    without = ticket(None, None, answered=False)
    # when the queue is sorted by due time
    response = api(alice).get("/tickets", {"sort": "due_at"})
    # then an unanswered ticket waits on its first response, an answered one on its
    # resolution, and a ticket without any due time comes last
    assert [t["number"] for t in response.json()["items"]] == [
        answered.number,
        unanswered.number,
        resolution_only.number,
        without.number,
    ]
