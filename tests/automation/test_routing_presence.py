"""One presence per agent for chats and tickets: the navigation's switch, the API, the
heartbeat (idle agents go away, agents heard from no more go offline), each change on
the account's trail; routing reacting at once (a ticket moved to a team or line, an
agent coming online) and handing back the work of an agent gone offline as the team's
setting says."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings

from opora.accounts.models import AccountEvent, AccountEventKind, Team, User
from opora.automation import routing
from opora.chat.actions import presence_heartbeat, set_presence
from opora.chat.models import AgentPresence
from opora.chat.routing import expire_presence
from opora.core import clock
from opora.core.tasks import run_queued_tasks
from opora.tickets import actions
from opora.tickets.models import Ticket
from tests.automation.test_routing import configure, unassigned
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def presence_events(agent: User) -> list[dict[str, Any]]:
    rows = AccountEvent.objects.filter(user=agent, kind=AccountEventKind.PRESENCE_CHANGED)
    return [r.detail | {"by": r.by_id} for r in rows.order_by("pk")]


def status_of(agent: User) -> str:
    found = AgentPresence.objects.filter(agent=agent).first()
    return found.status if found else "offline"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the API ------------------------------------------------------------------------


def test_an_agent_sets_presence_through_the_api_one_state_with_the_chat(api, alice: User) -> None:
    me = api(alice)
    assert me.get("/me/presence").json() == {"status": "offline", "since": None}
    answer = me.client.put(
        "/api/v1/me/presence", json.dumps({"status": "online"}), content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "online" and answer.json()["since"]
    # The chat's own view of it is the same row.
    assert me.get("/chat/presence").json()["status"] == "online"
    assert routing.presence_of([alice.pk])[alice.pk].status == "online"
    assert presence_events(alice) == [
        {"previous": "offline", "status": "online", "via": "api", "by": alice.pk}
    ]
    # Setting what already is changes nothing on the trail.
    me.client.put(
        "/api/v1/me/presence", json.dumps({"status": "online"}), content_type="application/json"
    )
    assert len(presence_events(alice)) == 1


def test_presence_refusals_write_nothing(api, alice: User, dana: User) -> None:
    agent, customer = api(alice), api(dana)

    def put(who: Any, body: object) -> Any:
        return who.client.put(
            "/api/v1/me/presence", json.dumps(body), content_type="application/json"
        )

    with nothing_written():
        assert customer.get("/me/presence").status_code == 403
        refused = put(customer, {"status": "online"})
        assert refused.status_code == 403
        assert refused.json()["code"] == "agents_only"
        assert put(agent, {"status": "busy"}).status_code == 422
        assert put(agent, {"status": "online", "extra": 1}).status_code == 422
        assert put(agent, {}).status_code == 422
        assert api(None).get("/me/presence").status_code == 401
    assert not AgentPresence.objects.exists()


# --- the navigation's switch and the heartbeat ----------------------------------------


def test_every_workspace_page_shows_the_switch_with_the_state(alice: User) -> None:
    set_presence(alice, "away")
    page = signed_in(alice).get("/agent/")
    html = page.content.decode()
    assert "data-nav-presence" in html
    assert '<option value="away" selected>' in html
    assert "presence-dot away" in html


def test_the_switch_sets_presence_audited_as_the_agents_own(alice: User) -> None:
    client = signed_in(alice)
    answer = client.post("/agent/presence", {"status": "online"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    assert answer.json()["status"] == "online"
    assert status_of(alice) == "online"
    # Without the page's script: the form posts and comes back where it was.
    back = client.post("/agent/presence", {"status": "away", "next": "/agent/chat/"})
    assert back.status_code == 302 and back["Location"] == "/agent/chat/"
    assert status_of(alice) == "away"
    assert [e["via"] for e in presence_events(alice)] == ["nav", "nav"]
    assert {e["by"] for e in presence_events(alice)} == {alice.pk}


def test_switch_refusals_write_nothing(alice: User, dana: User) -> None:
    agent, customer = signed_in(alice), signed_in(dana)
    with nothing_written():
        bad = agent.post("/agent/presence", {"status": "busy"}, HTTP_ACCEPT="application/json")
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_choice"
        assert agent.get("/agent/presence").status_code == 405
        assert customer.post("/agent/presence", {"status": "online"}).status_code == 302
        assert customer.post("/agent/presence/heartbeat", {"idle": "0"}).status_code == 302
        assert Client().post("/agent/presence", {"status": "online"}).status_code == 302
        bad = agent.post("/agent/presence/heartbeat", {"idle": "soon"})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_idle"
        assert agent.post("/agent/presence/heartbeat", {"idle": "-5"}).status_code == 422
    assert not AgentPresence.objects.exists()


def test_the_heartbeat_counts_as_seen_with_one_throttled_write(alice: User) -> None:
    set_presence(alice, "online")
    long_ago = clock.now() - timedelta(seconds=50)
    AgentPresence.objects.filter(agent=alice).update(last_seen_at=long_ago)
    client = signed_in(alice)
    answer = client.post("/agent/presence/heartbeat", {"idle": "3"})
    assert answer.json()["status"] == "online"
    seen = AgentPresence.objects.get(agent=alice).last_seen_at
    assert seen > long_ago
    with nothing_written():  # a second beat right after writes nothing
        client.post("/agent/presence/heartbeat", {"idle": "8"})
    assert AgentPresence.objects.get(agent=alice).last_seen_at == seen


@override_settings(PRESENCE_IDLE_MINUTES=10)
def test_an_idle_agent_goes_away_by_the_desk(alice: User) -> None:
    set_presence(alice, "online")
    assert presence_heartbeat(alice, idle_seconds=9 * 60).status == "online"
    answer = signed_in(alice).post("/agent/presence/heartbeat", {"idle": str(10 * 60)})
    assert answer.json()["status"] == "away"
    assert presence_events(alice)[-1] == {
        "previous": "online",
        "status": "away",
        "via": "idle",
        "by": None,
    }


@override_settings(PRESENCE_IDLE_MINUTES=0)
def test_idle_never_counts_when_switched_off(alice: User) -> None:
    set_presence(alice, "online")
    assert presence_heartbeat(alice, idle_seconds=7 * 24 * 3600).status == "online"


def test_an_agent_with_every_tab_closed_goes_offline(alice: User, otto: User) -> None:
    set_presence(alice, "online")
    set_presence(otto, "online")
    gone = clock.now() - timedelta(minutes=5)
    AgentPresence.objects.filter(agent=alice).update(last_seen_at=gone)
    assert expire_presence() == 1
    assert (status_of(alice), status_of(otto)) == ("offline", "online")
    assert presence_events(alice)[-1]["via"] == "timeout"
    assert presence_events(alice)[-1]["by"] is None


# --- routing at once --------------------------------------------------------------------


@pytest.fixture
def desk(ada: User, alice: User, otto: User) -> Team:
    from opora.accounts.actions import create_team

    return create_team(name="Desk", members=[alice.pk, otto.pk], by=ada)


def test_a_ticket_moved_to_a_routing_team_is_routed_at_once(
    django_capture_on_commit_callbacks: Any, ada: User, desk: Team, alice: User, dana: User
) -> None:
    configure(desk, ada)
    set_presence(alice, "online")
    ticket = actions.create_ticket(requester=dana, by=dana, subject="Help", body="Broken.")
    assert ticket.team_id is None
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actions.TicketChanges(team=desk.pk), by=ada)
    run_queued_tasks()
    assert Ticket.objects.get(pk=ticket.pk).assignee == alice


def test_a_ticket_moved_through_the_api_is_routed(
    django_capture_on_commit_callbacks: Any, api, ada: User, desk: Team, otto: User, dana: User
) -> None:
    configure(desk, ada)
    set_presence(otto, "online")
    ticket = actions.create_ticket(requester=dana, by=dana, subject="Help", body="Broken.")
    with django_capture_on_commit_callbacks(execute=True):
        answer = api(ada).patch(f"/tickets/{ticket.number}", {"team": desk.pk})
    assert answer.status_code == 200, answer.content
    run_queued_tasks()
    assert Ticket.objects.get(pk=ticket.pk).assignee == otto


def test_a_ticket_a_trigger_moves_to_the_team_is_routed(
    django_capture_on_commit_callbacks: Any, ada: User, desk: Team, alice: User, dana: User
) -> None:
    from opora.automation.triggers import save_trigger

    configure(desk, ada)
    set_presence(alice, "online")
    save_trigger(
        by=ada,
        name="To the desk",
        event="created",
        match="all",
        conditions=[],
        actions=[{"type": "assign_team", "value": desk.pk}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.create_ticket(requester=dana, by=dana, subject="Help", body="Broken.")
    for _ in range(3):  # the trigger's job, then the routing job its change queued
        with django_capture_on_commit_callbacks(execute=True):
            run_queued_tasks()
    found = Ticket.objects.get(pk=ticket.pk)
    assert (found.team_id, found.assignee) == (desk.pk, alice)


def test_a_line_change_routes_to_the_agents_of_the_new_line(
    django_capture_on_commit_callbacks: Any, ada: User, desk: Team, otto: User, dana: User
) -> None:
    configure(desk, ada, respect_line=True)
    User.objects.filter(pk=otto.pk).update(support_line=2)
    set_presence(otto, "online")
    ticket = unassigned(dana, desk)
    assert routing.route_ticket(ticket.pk) is None  # a 1st-line ticket: nobody online
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actions.TicketChanges(line=2), by=ada)
    run_queued_tasks()
    assert Ticket.objects.get(pk=ticket.pk).assignee == otto


def test_a_team_without_routing_gets_no_job_until_its_routing_is_on(
    django_capture_on_commit_callbacks: Any, ada: User, desk: Team, alice: User, dana: User
) -> None:
    set_presence(alice, "online")
    ticket = actions.create_ticket(requester=dana, by=dana, subject="Help", body="Broken.")
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actions.TicketChanges(team=desk.pk), by=ada)
    assert run_queued_tasks() == 0  # the team routes nothing: no job at all
    with django_capture_on_commit_callbacks(execute=True):
        configure(desk, ada)
    run_queued_tasks()  # the new settings drain the queue
    assert Ticket.objects.get(pk=ticket.pk).assignee == alice


def test_an_agent_coming_online_drains_the_queue_up_to_capacity(
    django_capture_on_commit_callbacks: Any, ada: User, desk: Team, alice: User, dana: User
) -> None:
    configure(desk, ada, max_email=2)
    waiting = [unassigned(dana, desk) for _ in range(3)]
    run_queued_tasks()
    assert not Ticket.objects.filter(assignee__isnull=False).exists()  # nobody online
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(alice).post("/agent/presence", {"status": "online"})
    run_queued_tasks()
    assigned = Ticket.objects.filter(pk__in=[t.pk for t in waiting], assignee=alice)
    assert assigned.count() == 2
    assert routing.queue([desk.pk]) == [waiting[2].pk]


# --- the offline sweep ---------------------------------------------------------------------


def _held_by_alice_gone_offline(ada: User, desk: Team, alice: User, dana: User) -> Ticket:
    set_presence(alice, "online")
    ticket = unassigned(dana, desk)
    actions.update_ticket(ticket, actions.TicketChanges(assignee=alice.pk), by=ada)
    set_presence(alice, "offline")
    long_ago = clock.now() - timedelta(hours=3)
    AgentPresence.objects.filter(agent=alice).update(updated_at=long_ago)
    return ticket


def test_the_sweep_hands_back_work_of_an_agent_offline_as_the_team_allows(
    ada: User, desk: Team, alice: User, otto: User, dana: User
) -> None:
    configure(desk, ada, reassign_after=60)
    ticket = _held_by_alice_gone_offline(ada, desk, alice, dana)
    set_presence(otto, "online")
    assert routing.reassign_offline() == 1
    routing.drain([desk.pk])
    assert Ticket.objects.get(pk=ticket.pk).assignee == otto


def test_the_sweep_leaves_the_work_when_the_team_does_not_reassign(
    ada: User, desk: Team, alice: User, otto: User, dana: User
) -> None:
    configure(desk, ada, reassign_after=None)
    ticket = _held_by_alice_gone_offline(ada, desk, alice, dana)
    set_presence(otto, "online")
    assert routing.sweep() == 0
    assert Ticket.objects.get(pk=ticket.pk).assignee == alice


def test_the_sweep_waits_for_the_teams_minutes(
    ada: User, desk: Team, alice: User, otto: User, dana: User
) -> None:
    configure(desk, ada, reassign_after=240)  # offline for 3 hours only
    ticket = _held_by_alice_gone_offline(ada, desk, alice, dana)
    set_presence(otto, "online")
    routing.sweep()
    assert Ticket.objects.get(pk=ticket.pk).assignee == alice
