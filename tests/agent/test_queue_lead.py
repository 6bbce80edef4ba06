"""The team lead's visibility: every ticket of their teams, on every line, including
teams with no lead of their own (whose escalations to "the lead" reach them)."""

from __future__ import annotations

from opora.accounts.actions import create_team, create_user
from opora.accounts.models import User
from opora.core.errors import NotFound
from opora.demo.data import AGENTS, TEAMS
from opora.tickets import actions
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket, visible_tickets
from tests.conftest import PASSWORD


def _opens(user: User, ticket: Ticket) -> bool:
    try:
        access_ticket(user, ticket.number)
    except NotFound:
        return False
    return True


def _agrees(user: User, tickets: list[Ticket]) -> dict[int, bool]:
    """Who opens what, checked against the list (both halves of the one rule)."""
    listed = set(visible_tickets(user).values_list("pk", flat=True))
    opened = {t.number: _opens(user, t) for t in tickets}
    assert opened == {t.number: t.pk in listed for t in tickets}
    return opened


def test_a_lead_sees_every_ticket_of_her_team_on_every_line(ada, lena, support, dana):
    tickets = [
        actions.update_ticket(
            actions.create_ticket(requester=dana, by=dana, subject=f"Line {line}", body="x"),
            actions.TicketChanges(team=support.pk, line=line),
            by=ada,
        )
        for line in (1, 2, 3)
    ]
    assert _agrees(lena, tickets) == {t.number: True for t in tickets}


def test_a_lead_sees_teams_without_a_lead_but_not_teams_with_their_own(ada, lena, otto, dana):
    # given a team with no lead, and a team led by someone else
    leaderless = create_team(name="Night", members=[otto.pk], by=ada)
    other_lead = create_user(
        email="max@desk.test", name="Max", role="agent", is_team_lead=True, by=ada
    )
    led = create_team(name="Sales", members=[other_lead.pk], by=ada)

    def in_team(team_id: int) -> Ticket:
        ticket = actions.create_ticket(requester=dana, by=dana, subject="Help", body="x")
        return actions.update_ticket(ticket, actions.TicketChanges(team=team_id), by=ada)

    night, sales = in_team(leaderless.pk), in_team(led.pk)
    # then Lena opens the leaderless team's ticket but not the other lead's
    assert _agrees(lena, [night, sales]) == {night.number: True, sales.number: False}
    # and an agent who is no lead sees neither team beyond their own
    assert _agrees(otto, [night, sales]) == {night.number: True, sales.number: False}
    # and once the team gets a lead, it is that lead's
    leaderless.members.add(other_lead)
    assert _agrees(lena, [night]) == {night.number: False}


def test_an_inactive_lead_does_not_count_as_the_teams_lead(ada, lena, otto, dana):
    gone = create_user(email="gone@desk.test", name="Gone", role="agent", is_team_lead=True, by=ada)
    team = create_team(name="Night", members=[otto.pk, gone.pk], by=ada)
    gone.is_active = False
    gone.save()
    ticket = actions.update_ticket(
        actions.create_ticket(requester=dana, by=dana, subject="Help", body="x"),
        actions.TicketChanges(team=team.pk),
        by=ada,
    )
    assert _agrees(lena, [ticket]) == {ticket.number: True}


def test_the_demos_lead_opens_a_support_ticket(client, ada, dana):
    # given the demo's agents and teams (the lead, Елена, is not a member of Support)
    people = {}
    for person in AGENTS:
        people[person.email.split("@")[0]] = create_user(
            email=person.email,
            name=person.name,
            password=PASSWORD,
            role="agent",
            support_line=person.line,
            is_team_lead=person.team_lead,
            by=ada,
        )
    teams = {
        spec.name: create_team(
            name=spec.name, members=[people[m].pk for m in spec.members.split()], by=ada
        )
        for spec in TEAMS
    }
    lead = next(people[p.email.split("@")[0]] for p in AGENTS if p.team_lead)
    assert not teams["Support"].members.filter(pk=lead.pk).exists()
    ticket = actions.update_ticket(
        actions.create_ticket(requester=dana, by=dana, subject="Delivery late", body="x"),
        actions.TicketChanges(team=teams["Support"].pk, line=2),
        by=ada,
    )
    # when she opens it in the workspace
    client.force_login(lead)
    response = client.get(f"/agent/tickets/{ticket.number}")
    # then she gets the ticket, not 404, and it is in her "All open" list
    assert response.status_code == 200
    listed = client.get("/agent/?view=open").context["page"].object_list
    assert ticket.number in [t.number for t in listed]
