from __future__ import annotations

import pytest

from opora.tickets.models import Event, Ticket
from tests.writes import nothing_written


@pytest.fixture
def ticket(make_ticket, dana):
    return make_ticket(dana)


def _events(ticket: Ticket, kind: str) -> list[Event]:
    return list(Event.objects.filter(ticket=ticket, kind=kind).order_by("id"))


def test_an_agent_changes_status_priority_type_line_and_tags_at_once(api, alice, ticket):
    # when Alice triages the ticket in one request
    response = api(alice).patch(
        f"/tickets/{ticket.number}",
        {
            "status": "pending",
            "priority": "urgent",
            "type": "incident",
            "line": 2,
            "tags": ["printer", "Floor 3"],
        },
    )
    # then every field changed and each change is an event with old and new values
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["type"], body["line"]) == (
        "pending",
        "urgent",
        "incident",
        2,
    )
    assert body["tags"] == ["floor-3", "printer"]
    status = _events(ticket, "status_changed")[-1]
    assert (status.old, status.new, status.actor) == ("new", "pending", alice)
    assert (
        _events(ticket, "priority_changed")[-1].old,
        _events(ticket, "priority_changed")[-1].new,
    ) == ("normal", "urgent")
    assert _events(ticket, "type_changed")[-1].new == "incident"
    assert (_events(ticket, "line_changed")[-1].old, _events(ticket, "line_changed")[-1].new) == (
        "1",
        "2",
    )
    assert _events(ticket, "tags_changed")[-1].data == {
        "added": ["floor-3", "printer"],
        "removed": [],
    }


def test_an_agent_assigns_to_self_and_unassigns(api, alice, ticket):
    response = api(alice).patch(f"/tickets/{ticket.number}", {"assignee": "me"})
    assert response.json()["assignee"]["email"] == "alice@desk.test"
    assigned = _events(ticket, "assigned")[-1]
    assert (assigned.old, assigned.new) == ("", str(alice.pk))

    response = api(alice).patch(f"/tickets/{ticket.number}", {"assignee": None})
    assert response.json()["assignee"] is None
    assert _events(ticket, "assigned")[-1].old == str(alice.pk)


def test_assignee_must_be_an_agent_of_the_ticket_team(api, alice, otto, dana, ticket, billing):
    desk = api(alice)
    for assignee, code in (
        (otto.pk, "not_team_member"),
        (dana.pk, "unknown_assignee"),
        (999999, "unknown_assignee"),
    ):
        with nothing_written(ticket):
            response = desk.patch(f"/tickets/{ticket.number}", {"assignee": assignee})
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "assignee",
            "code": code,
            "message": response.json()["errors"][0]["message"],
        }
    # moving the ticket to Otto's team and assigning him in the same request works
    response = api(alice).patch(
        f"/tickets/{ticket.number}", {"team": billing.pk, "assignee": otto.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["team"]["name"] == "Billing"
    team_event = _events(ticket, "team_changed")[-1]
    assert team_event.new == str(billing.pk)


def test_tags_can_be_added_and_removed(api, alice, ticket):
    api(alice).patch(f"/tickets/{ticket.number}", {"tags": ["a", "b"]})
    response = api(alice).patch(
        f"/tickets/{ticket.number}", {"add_tags": ["c"], "remove_tags": ["a"]}
    )
    assert response.json()["tags"] == ["b", "c"]
    assert _events(ticket, "tags_changed")[-1].data == {"added": ["c"], "removed": ["a"]}


def test_the_status_workflow_refuses_forbidden_transitions(api, alice, ticket):
    # solved -> closed is allowed, closed is final
    assert api(alice).patch(f"/tickets/{ticket.number}", {"status": "solved"}).status_code == 200
    ticket.refresh_from_db()
    assert ticket.solved_at is not None
    assert api(alice).patch(f"/tickets/{ticket.number}", {"status": "closed"}).status_code == 200
    desk = api(alice)
    with nothing_written(ticket):
        response = desk.patch(f"/tickets/{ticket.number}", {"status": "open"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def test_new_is_never_a_target_and_open_cannot_close_directly(api, alice, ticket):
    desk = api(alice)
    desk.patch(f"/tickets/{ticket.number}", {"status": "open"})
    for target in ("new", "closed"):
        with nothing_written(ticket):
            response = desk.patch(f"/tickets/{ticket.number}", {"status": target})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_transition"
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_a_failed_update_changes_nothing(api, alice, ticket):
    # given an open ticket, a valid priority change and a forbidden transition
    desk = api(alice)
    desk.patch(f"/tickets/{ticket.number}", {"status": "open"})
    # then nothing is written: neither the priority nor any event
    with nothing_written(ticket):
        response = desk.patch(f"/tickets/{ticket.number}", {"priority": "urgent", "status": "new"})
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.priority == 2
    assert not Event.objects.filter(ticket=ticket, kind="priority_changed").exists()


def test_a_customer_may_mark_solved_and_reopen_but_nothing_else(api, dana, ticket):
    customer = api(dana)
    for field, value in (
        ("priority", "high"),
        ("line", 2),
        ("tags", ["x"]),
        ("assignee", None),
        ("type", "question"),
        ("status", "pending"),
    ):
        with nothing_written(ticket):
            response = customer.patch(f"/tickets/{ticket.number}", {field: value})
        assert response.status_code == 403, field
        assert response.json()["errors"][0] == {
            "field": field,
            "code": "agents_only",
            "message": response.json()["detail"],
        }
    # reopening is for solved requests only
    with nothing_written(ticket):
        response = customer.patch(f"/tickets/{ticket.number}", {"status": "open"})
    assert (response.status_code, response.json()["code"]) == (403, "agents_only")
    assert (
        api(dana).patch(f"/tickets/{ticket.number}", {"status": "solved"}).json()["status"]
        == "solved"
    )
    assert (
        api(dana).patch(f"/tickets/{ticket.number}", {"status": "open"}).json()["status"] == "open"
    )
    solved, reopened = _events(ticket, "status_changed")[-2:]
    assert (solved.new, solved.actor, reopened.old, reopened.new) == (
        "solved",
        dana,
        "solved",
        "open",
    )


def test_updated_at_moves_on_change(api, alice, ticket):
    before = ticket.updated_at
    api(alice).patch(f"/tickets/{ticket.number}", {"priority": "low"})
    ticket.refresh_from_db()
    assert ticket.updated_at > before
