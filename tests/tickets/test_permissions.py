"""Who may do what to one ticket: the requester Dana (Acme, shared), her colleague Dave,
the outsider Charlie, Otto (agent of another team), Alice (agent of the ticket's team)
and Ada (admin)."""

from __future__ import annotations

from contextlib import nullcontext

import pytest

from tests.writes import nothing_written

# persona: (get, in list, update, add message, sees internal note)
MATRIX = {
    "dana": (200, True, 200, 201, False),
    "dave": (200, True, 200, 201, False),
    "charlie": (404, False, 404, 404, None),
    "otto": (404, False, 404, 404, None),
    "alice": (200, True, 200, 201, True),
    "ada": (200, True, 200, 201, True),
}


@pytest.fixture
def ticket(make_ticket, dana, alice):
    from opora.tickets import actions

    t = make_ticket(dana, subject="Matrix ticket")
    actions.add_message(t, by=alice, body="internal: customer is on the old plan", internal=True)
    return t


@pytest.mark.parametrize("persona", list(MATRIX))
def test_permission_matrix(request, api, ticket, billing, persona):
    user = request.getfixturevalue(persona)
    expected_get, expected_listed, expected_update, expected_message, expected_note = MATRIX[
        persona
    ]
    client = api(user)

    # get
    assert client.get(f"/tickets/{ticket.number}").status_code == expected_get

    # list
    listed = [t["number"] for t in client.get("/tickets", {"limit": 100}).json()["items"]]
    assert (ticket.number in listed) is expected_listed

    # update: agents change the priority, customers mark solved (then reopen);
    # and add a public message. Those who may not see the ticket change nothing.
    refused = expected_update == 404
    with nothing_written(ticket) if refused else nullcontext():
        change = {"priority": "high"} if user.is_agent else {"status": "solved"}
        updated = client.patch(f"/tickets/{ticket.number}", change)
        replied = client.post(f"/tickets/{ticket.number}/messages", {"body": f"from {persona}"})
    assert updated.status_code == expected_update, updated.content
    assert replied.status_code == expected_message, replied.content
    if refused:
        assert updated.json()["code"] == replied.json()["code"] == "not_found"

    # read the internal note
    response = client.get(f"/tickets/{ticket.number}/messages")
    if expected_note is None:
        assert response.status_code == 404
    else:
        bodies = [m["body"] for m in response.json()]
        assert ("internal: customer is on the old plan" in bodies) is expected_note
        assert all(m["internal"] is False for m in response.json()) is not expected_note


def test_an_agent_sees_tickets_assigned_to_them_outside_their_teams(
    api, otto, ada, ticket, billing
):
    from opora.tickets import actions

    actions.update_ticket(ticket, actions.TicketChanges(clear_team=True), by=ada)
    actions.update_ticket(ticket, actions.TicketChanges(team=billing.pk, assignee=otto.pk), by=ada)
    assert api(otto).get(f"/tickets/{ticket.number}").status_code == 200


def test_unshared_organizations_keep_tickets_private(api, dave, ticket, acme):
    acme.shared_tickets = False
    acme.save(update_fields=["shared_tickets"])
    colleague = api(dave)
    assert colleague.get(f"/tickets/{ticket.number}").status_code == 404
    with nothing_written(ticket):
        answers = [
            colleague.patch(f"/tickets/{ticket.number}", {"status": "solved"}),
            colleague.post(f"/tickets/{ticket.number}/messages", {"body": "me too"}),
        ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "not_found")] * 2


def test_no_token_no_access(api, ticket):
    anonymous = api(None)
    assert anonymous.get(f"/tickets/{ticket.number}").status_code == 401
    assert anonymous.get("/tickets").status_code == 401
    with nothing_written(ticket):
        answers = [
            anonymous.post("/tickets", {"subject": "x", "body": "y"}),
            anonymous.patch(f"/tickets/{ticket.number}", {"status": "solved"}),
            anonymous.post(f"/tickets/{ticket.number}/messages", {"body": "hello"}),
        ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(401, "unauthorized")] * 3


def test_a_revoked_or_wrong_token_is_refused(api, dana, ticket):
    client = api(dana)
    assert client.delete("/auth/token").status_code == 204
    assert client.get(f"/tickets/{ticket.number}").status_code == 401
    client.client.defaults["HTTP_AUTHORIZATION"] = "Bearer opora_not-a-real-token"
    assert client.get("/me").status_code == 401


def test_events_are_for_agents(api, alice, dana, ticket):
    assert api(dana).get(f"/tickets/{ticket.number}/events").status_code == 403
    kinds = [e["kind"] for e in api(alice).get(f"/tickets/{ticket.number}/events").json()]
    assert kinds[0] == "created"
    assert "note_added" in kinds


def test_a_session_without_csrf_token_cannot_write(client, dana, ticket):
    # the browser session works for reads, but writes need the CSRF token
    client.force_login(dana)
    assert client.get(f"/api/v1/tickets/{ticket.number}").status_code == 200
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(dana)
    with nothing_written(ticket):
        response = strict.post(
            f"/api/v1/tickets/{ticket.number}/messages",
            '{"body": "x"}',
            content_type="application/json",
        )
    assert response.status_code in (401, 403)
