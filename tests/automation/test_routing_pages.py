"""Routing's API and console pages: who may read and change a team's routing, what the
load view shows; refusals write nothing, changes are audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.automation.models import RoutingSettings
from opora.chat.actions import set_presence
from opora.core.models import AdminChange
from opora.tickets import actions
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db

BODY: dict[str, Any] = {
    "strategy": "least_loaded",
    "max_email": 4,
    "max_chat": 2,
    "max_messengers": 3,
    "respect_hours": False,
    "calendar": None,
    "respect_line": True,
    "reassign_after": 30,
}


def put(api: Any, user: User | Any, path: str, body: dict[str, Any]) -> Any:
    """PUT as `user` (or through an `Api` already made, whose token is written)."""
    client = (api(user) if isinstance(user, User) else user).client
    return client.put("/api/v1" + path, json.dumps(body), content_type="application/json")


def test_a_lead_sets_and_reads_her_teams_routing_audited(api, lena: User, support: Team) -> None:
    answer = put(api, lena, f"/teams/{support.pk}/routing", BODY)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"team": support.pk, **BODY}
    assert api(lena).get(f"/teams/{support.pk}/routing").json()["max_email"] == 4
    change = AdminChange.objects.get(area="routing")
    assert change.changes["strategy"] == [None, "least_loaded"] or "strategy" in change.changes


def test_refusals_write_nothing(api, alice: User, lena: User, support: Team, billing: Team) -> None:
    agent, lead = api(alice), api(lena)
    with nothing_written():
        assert put(api, agent, f"/teams/{support.pk}/routing", BODY).status_code == 403
        assert put(api, lead, f"/teams/{billing.pk}/routing", BODY).status_code == 403
        assert put(api, lead, "/teams/999999/routing", BODY).status_code == 404
        bad = BODY | {"strategy": "random"}
        assert put(api, lead, f"/teams/{support.pk}/routing", bad).status_code in (400, 422)
        bad = BODY | {"max_email": -1}
        assert put(api, lead, f"/teams/{support.pk}/routing", bad).status_code in (400, 422)
        bad = BODY | {"calendar": 999999}
        answer = put(api, lead, f"/teams/{support.pk}/routing", bad)
        assert answer.status_code == 422
        assert answer.json()["code"] == "unknown_calendar"
    assert not RoutingSettings.objects.exists()


def test_the_load_api_shows_presence_and_open_tickets_against_limits(
    api, ada: User, lena: User, alice: User, support: Team, dana: User
) -> None:
    put(api, lena, f"/teams/{support.pk}/routing", BODY)
    set_presence(alice, "online")
    ticket = actions.create_ticket(requester=dana, by=ada, subject="x", body="y", team=support)
    actions.update_ticket(ticket, actions.TicketChanges(assignee=alice.pk), by=ada)
    load = api(lena).get(f"/teams/{support.pk}/load").json()
    row = next(a for a in load["agents"] if a["id"] == alice.pk)
    assert row["presence"] == "online"
    assert {g["group"]: (g["open"], g["limit"]) for g in row["groups"]} == {
        "email": (1, 4),
        "chat": (0, 2),
        "messengers": (0, 3),
    }
    assert row["oldest_waiting"] is not None
    assert load["unassigned"] == 0
    assert api(alice).get(f"/teams/{support.pk}/load").status_code == 403


def test_the_console_pages(lena: User, alice: User, support: Team) -> None:
    client = Client()
    client.force_login(lena)
    page = client.get("/admin/routing/", {"team": support.pk})
    assert page.status_code == 200
    answer = client.post(
        f"/admin/routing/?team={support.pk}",
        {
            "strategy": "round_robin",
            "max_email": 5,
            "max_chat": 1,
            "max_messengers": 2,
            "respect_line": "on",
            "calendar": "",
            "reassign_after": "",
        },
    )
    assert answer.status_code == 302
    found = RoutingSettings.objects.get(team=support)
    assert (found.strategy, found.max_email, found.reassign_after) == ("round_robin", 5, None)
    load = client.get("/admin/routing/load/", {"team": support.pk})
    assert load.status_code == 200
    assert b"data-team-load" in load.content
    fragment = client.get("/admin/routing/load/", {"team": str(support.pk), "fragment": "1"})
    assert b"<html" not in fragment.content and b"data-team-load" in fragment.content
    agent = Client()
    agent.force_login(alice)
    with nothing_written():
        assert agent.get("/admin/routing/").status_code == 403
        assert agent.post("/admin/routing/", {"strategy": "off"}).status_code == 403
