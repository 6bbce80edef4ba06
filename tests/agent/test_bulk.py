"""Bulk actions on a list of tickets."""

from __future__ import annotations

from opora.tickets.models import Ticket
from tests.writes import nothing_written


def _bulk(client, numbers, action, value):
    return client.post(
        "/agent/bulk",
        {
            "ticket": [str(n) for n in numbers],
            "action": action,
            f"value_{action}": value,
            "next": "/agent/?view=open",
        },
        follow=True,
    )


def test_bulk_assign_status_priority_and_tag(client, alice, bob, dana, make_ticket):
    tickets = [make_ticket(dana, subject=f"T{i}") for i in range(3)]
    numbers = [t.number for t in tickets]
    client.force_login(alice)

    response = _bulk(client, numbers, "assign", str(bob.pk))
    assert "3 tickets updated." in response.content.decode()
    assert response.redirect_chain[-1][0] == "/agent/?view=open"
    _bulk(client, numbers, "status", "pending")
    _bulk(client, numbers, "priority", "urgent")
    _bulk(client, numbers, "tag", "Outage")

    for ticket in Ticket.objects.filter(number__in=numbers):
        assert (ticket.assignee_id, ticket.status, ticket.priority) == (bob.pk, "pending", 4)
        assert list(ticket.tags.values_list("name", flat=True)) == ["outage"]


def test_bulk_reports_tickets_it_could_not_change(client, alice, otto, billing, dana, make_ticket):
    # given: one ticket of Support, one of Billing that Alice cannot see
    ours = make_ticket(dana)
    theirs = make_ticket(dana, team=billing)
    client.force_login(alice)

    # when
    response = _bulk(client, [ours.number, theirs.number], "status", "on_hold")

    # then
    page = response.content.decode()
    assert "1 ticket updated." in page
    assert f"#{theirs.number}: not found." in page
    assert Ticket.objects.get(pk=theirs.pk).status == "new"


def test_bulk_without_selection_or_action_says_what_is_missing(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    with nothing_written(ticket):
        no_selection = _bulk(client, [], "assign", "me")
        no_action = _bulk(client, [ticket.number], "explode", "x")
    assert "Select at least one ticket." in no_selection.content.decode()
    assert "Choose what to change." in no_action.content.decode()


def test_customers_cannot_use_bulk_actions(client, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(dana)
    with nothing_written(ticket):
        response = client.post(
            "/agent/bulk",
            {"ticket": [str(ticket.number)], "action": "status", "value_status": "solved"},
        )
    assert (response.status_code, response["Location"]) == (302, "/portal/")
