"""Saving the Properties form never loses edits: all changes or none, and the form back."""

from __future__ import annotations

import pytest

from opora.core.errors import ValidationFailed
from opora.tickets import actions
from tests.writes import nothing_written


def test_update_ticket_is_all_or_nothing(alice, otto, dana, make_ticket):
    ticket = make_ticket(dana)
    changes = actions.TicketChanges(status="pending", priority="urgent", assignee=otto.pk)
    with nothing_written(ticket), pytest.raises(ValidationFailed):
        actions.update_ticket(ticket, changes, by=alice)


def test_a_refused_save_keeps_status_and_priority_and_says_why(
    client, alice, otto, dana, make_ticket
):
    ticket = make_ticket(dana)
    client.force_login(alice)
    form = {
        "status": "pending",
        "priority": "urgent",
        "type": ticket.type,
        "team": str(ticket.team_id),
        "assignee": str(otto.pk),  # not in Support
        "line": "1",
        "tags": "",
    }
    with nothing_written(ticket):
        response = client.post(f"/agent/tickets/{ticket.number}/update", form)
    assert response.status_code == 422
    # the form comes back with the agent's choices and the reason at the assignee
    assert response.context["panel"]["status"] == "pending"
    assert response.context["panel"]["priority"] == "urgent"
    assert "not a member" in response.context["panel_errors"]["assignee"]
    page = response.content.decode()
    assert '<option value="pending" selected>' in page
    assert '<option value="urgent" selected>' in page
    assert 'data-error-for="assignee"' in page
    # the same through htmx (the page swaps the 422 in place)
    with nothing_written(ticket):
        again = client.post(f"/agent/tickets/{ticket.number}/update", form, HTTP_HX_REQUEST="true")
    assert again.status_code == 422 and 'data-error-for="assignee"' in again.content.decode()
    # and once the assignee is fixed, the same save goes through whole
    client.post(f"/agent/tickets/{ticket.number}/update", form | {"assignee": ""})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("pending", 4)


def test_the_form_offers_only_valid_choices(client, alice, bob, otto, dana, make_ticket):
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    client.force_login(alice)
    response = client.get(f"/agent/tickets/{ticket.number}")
    statuses = [value for value, _label in response.context["statuses"]]
    assert statuses == ["open", "solved", "closed"]  # from solved: reopen or close
    names = {a["name"] for a in response.context["assignees"]}
    assert {"Alice", "Bob"} <= names and "Otto" not in names
    # every team's members travel with the page for the script to switch lists
    choices = response.context["assignee_choices"]
    assert {a["name"] for a in choices[str(ticket.team_id)]} == {"Alice", "Bob", "Lena"}
