"""Opening one ticket (`access_ticket`) follows exactly the visibility of ticket lists.

The ticket a page or an API call opens is read with one fixed statement and checked in
Python (`may_see`); lists filter in SQL (`visible_tickets`). Every kind of user and
ticket below must get the same answer from both.
"""

from __future__ import annotations

import pytest

from opora.accounts.actions import create_organization, create_team, create_user
from opora.accounts.models import Organization, Team, User
from opora.core.errors import NotFound
from opora.tickets import actions
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket, visible_tickets


def _opens(user: User, ticket: Ticket) -> bool:
    try:
        opened = access_ticket(user, ticket.number)
    except NotFound:
        return False
    assert opened.pk == ticket.pk
    return True


def test_access_agrees_with_the_lists_for_every_kind_of_user(
    ada: User,
    alice: User,
    otto: User,
    dana: User,
    dave: User,
    charlie: User,
    support: Team,
    billing: Team,
    acme: Organization,
):
    # given tickets in a team, in another team, in none, assigned across teams, of a
    # customer whose organization shares tickets and of one whose organization does not
    private = create_organization(name="Private", domains=["private.test"], by=ada)
    pat = create_user(email="pat@private.test", name="Pat", by=None)
    sam = create_user(email="sam@private.test", name="Sam", by=None)
    gone = create_user(email="gone@desk.test", name="Gone", role="agent", by=ada)
    gone.is_active = False
    gone.save()

    def opened(requester: User, **changes: object) -> Ticket:
        ticket = actions.create_ticket(
            requester=requester, by=requester, subject="Printer", body="It jams."
        )
        if changes:
            ticket = actions.update_ticket(ticket, actions.TicketChanges(**changes), by=ada)  # type: ignore[arg-type]
        return ticket

    night = create_team(name="Night", members=[alice.pk], by=ada)
    kept = opened(dave, team=night.pk, assignee=alice.pk)
    night.members.remove(alice)  # she left the team but keeps her ticket
    tickets = [
        opened(dana, team=support.pk),
        opened(dave, team=billing.pk),
        opened(dana),  # no team yet: triage
        kept,
        opened(pat, team=support.pk),
        opened(charlie, team=billing.pk),
    ]
    assert private.shared_tickets is False and acme.shared_tickets is True
    users = [ada, alice, otto, dana, dave, charlie, pat, sam, gone]
    # then opening a ticket succeeds exactly when the user's list holds it
    for user in users:
        listed = set(visible_tickets(user).values_list("pk", flat=True))
        for ticket in tickets:
            assert _opens(user, ticket) == (ticket.pk in listed), (user.email, ticket.number)
    # and the matrix is not trivial: each user sees some tickets and misses others
    seen = {u.email: sum(_opens(u, t) for t in tickets) for u in users}
    assert seen == {
        "ada@desk.test": 6,
        "alice@desk.test": 4,  # support's two, triage, and the night one assigned to her
        "otto@desk.test": 3,  # billing's two and triage
        "dana@acme.test": 4,  # acme shares: her two and dave's two
        "dave@acme.test": 4,
        "charlie@outside.test": 1,
        "pat@private.test": 1,  # private does not share
        "sam@private.test": 0,
        "gone@desk.test": 0,
    }


def test_an_opened_ticket_comes_with_its_people_and_team(
    make_ticket, dana: User, alice: User, ada: User, support: Team, django_assert_num_queries
):
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(assignee=alice.pk), by=ada)
    with django_assert_num_queries(1):
        opened = access_ticket(alice, ticket.number)
        names = (
            opened.requester.email,
            opened.organization.name if opened.organization else None,
            opened.team.name if opened.team else None,
            opened.assignee.email if opened.assignee else None,
        )
    assert names == ("dana@acme.test", "Acme", "Support", "alice@desk.test")
    assert opened.created_at.tzinfo is not None
    assert opened.subject == ticket.subject


def test_an_unknown_number_is_not_found(alice: User):
    with pytest.raises(NotFound):
        access_ticket(alice, 424242)
