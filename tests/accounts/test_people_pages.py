"""The console's people pages: admins use every one; a team lead sees the agents of
their teams, read-only; nobody else gets in."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts.models import User
from opora.tickets import actions as ticket_actions
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_an_admin_opens_every_page(ada, alice, dana, acme, support):
    client = _signed_in(ada)
    for path in [
        "/admin/people/agents/",
        f"/admin/people/agents/?q=ali&role=agent&line=1&team={support.pk}&active=any",
        "/admin/people/agents/new",
        f"/admin/people/agents/{alice.pk}/",
        f"/admin/people/agents/{alice.pk}/deactivate",
        "/admin/people/invitations/",
        "/admin/people/customers/?q=dana",
        f"/admin/people/customers/{dana.pk}/",
        "/admin/people/organizations/",
        f"/admin/people/organizations/{acme.pk}/",
        "/admin/people/teams/",
        f"/admin/people/teams/{support.pk}/",
    ]:
        assert client.get(path).status_code == 200, path


def test_an_admin_creates_an_agent_with_a_cost_rate(ada, support):
    response = _signed_in(ada).post(
        "/admin/people/agents/new",
        {
            "name": "Gina",
            "email": "gina@desk.test",
            "role": "agent",
            "support_line": "2",
            "teams": [str(support.pk)],
            "skills": "billing, sql",
            "languages": ["en", "ru"],
            "cost_per_hour": "1500",
            "time_zone": "Europe/Moscow",
        },
    )
    assert response.status_code == 302, response.content
    gina = User.objects.get(email="gina@desk.test")
    assert gina.cost_per_hour == 1500 and gina.skills == ["billing", "sql"]
    assert list(gina.teams.all()) == [support]


def test_deactivation_asks_where_the_tickets_go(ada, alice, bob, dana, make_ticket):
    ticket = make_ticket(dana)
    ticket_actions.update_ticket(ticket, ticket_actions.TicketChanges(assignee=alice.pk), by=ada)
    client = _signed_in(ada)
    page = client.get(f"/admin/people/agents/{alice.pk}/deactivate")
    assert b'name="reassign_to"' in page.content
    done = client.post(f"/admin/people/agents/{alice.pk}/deactivate", {"reassign_to": bob.pk})
    assert done.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).assignee == bob
    own = client.post(f"/admin/people/agents/{ada.pk}/deactivate", {"reassign_to": ""})
    assert own.status_code == 400 and b"data-error" in own.content


def test_a_team_lead_sees_the_agents_of_their_teams_read_only(lena, alice, otto, support, billing):
    client = _signed_in(lena)
    listing = client.get("/admin/people/agents/")
    assert listing.status_code == 200
    assert b"alice@desk.test" in listing.content and b"otto@desk.test" not in listing.content
    assert b"data-new-agent" not in listing.content
    card = client.get(f"/admin/people/agents/{alice.pk}/")
    assert card.status_code == 200 and b"disabled" in card.content
    assert client.get(f"/admin/people/agents/{otto.pk}/").status_code == 404
    with nothing_written(alice):
        refused = client.post(f"/admin/people/agents/{alice.pk}/", {"name": "Mallory"})
    assert refused.status_code == 403
    for path in ["/admin/people/invitations/", "/admin/people/customers/", "/admin/people/teams/"]:
        assert client.get(path).status_code == 403, path


def test_agents_and_customers_are_kept_out(alice, dana):
    assert _signed_in(alice).get("/admin/people/agents/").status_code == 403
    assert _signed_in(dana).get("/admin/people/agents/").status_code == 403
    assert Client().get("/admin/people/agents/").status_code == 302


def test_an_admin_blocks_and_merges_customers_from_the_page(ada, dana, charlie):
    charlie.name = "Dana"
    charlie.save()
    client = _signed_in(ada)
    page = client.get(f"/admin/people/customers/{dana.pk}/")
    assert f'value="{charlie.pk}"'.encode() in page.content  # offered as a duplicate
    client.post(f"/admin/people/customers/{dana.pk}/block", {"blocked": "1"})
    dana.refresh_from_db()
    assert dana.blocked
    client.post(f"/admin/people/customers/{dana.pk}/merge", {"duplicate": charlie.pk})
    charlie.refresh_from_db()
    assert charlie.merged_into == dana
