"""The ticket page: permissions, composer, side panel, merge and problem links, CSRF."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opora.tickets.models import Message, Ticket


def test_an_agent_outside_the_team_gets_404(client, otto, billing, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(otto)
    response = client.get(f"/agent/tickets/{ticket.number}")
    assert response.status_code == 404


def test_it_shows_thread_notes_history_and_requester(client, alice, dana, make_ticket):
    # given
    ticket = make_ticket(dana, subject="Printer on fire")
    other = make_ticket(dana, subject="Old question")
    client.force_login(alice)
    client.post(f"/agent/tickets/{ticket.number}/reply", {"kind": "note", "body": "Call them"})

    # when
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()

    # then
    assert "Call them" in page and "msg-note" in page
    assert f"#{other.number} Old question" in page
    assert "Team changed" in page  # history


def test_reply_with_attachment_and_status(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    response = client.post(
        f"/agent/tickets/{ticket.number}/reply",
        {
            "kind": "reply",
            "body": "Try this driver",
            "status": "pending",
            "attachments": SimpleUploadedFile("driver.txt", b"v2", "text/plain"),
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    message = Message.objects.filter(ticket=ticket, internal=False).last()
    assert message is not None
    assert message.body == "Try this driver"
    assert [a.filename for a in message.attachments.all()] == ["driver.txt"]


def test_an_empty_reply_shows_an_error_and_keeps_the_choices(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    response = client.post(
        f"/agent/tickets/{ticket.number}/reply", {"kind": "note", "body": "  ", "status": "pending"}
    )
    assert response.status_code == 400
    assert response.context["composer"].errors["body"]
    assert 'value="pending" selected' in response.content.decode()


def test_htmx_reply_returns_the_ticket_fragment(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    response = client.post(
        f"/agent/tickets/{ticket.number}/reply",
        {"kind": "reply", "body": "Done"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="ticket"')
    assert "Done" in body


def test_side_panel_changes_fields_and_reports_errors(
    client, alice, otto, billing, dana, make_ticket
):
    ticket = make_ticket(dana)
    client.force_login(alice)
    base = {
        "status": "open",
        "priority": "urgent",
        "type": "incident",
        "assignee": "",
        "team": str(ticket.team_id),
        "line": "2",
        "tags": "vip, printer",
    }

    response = client.post(f"/agent/tickets/{ticket.number}/update", base)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.type, ticket.line) == ("open", 4, "incident", 2)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["printer", "vip"]
    # Otto is not in the Support team: refused with the reason, nothing changed
    response = client.post(
        f"/agent/tickets/{ticket.number}/update", base | {"assignee": str(otto.pk), "line": "3"}
    )
    assert response.status_code == 400
    assert "not a member" in response.context["panel_error"]
    ticket.refresh_from_db()
    assert ticket.assignee_id is None and ticket.line == 2


def test_take_it_assigns_to_me(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    client.post(f"/agent/tickets/{ticket.number}/update", {"take": "1"})
    ticket.refresh_from_db()
    assert ticket.assignee_id == alice.pk


def test_merge_and_problem_link(client, alice, dana, make_ticket):
    duplicate = make_ticket(dana, subject="Dup")
    main = make_ticket(dana, subject="Main")
    problem = make_ticket(dana, subject="Root cause", type="problem")
    client.force_login(alice)

    response = client.post(f"/agent/tickets/{duplicate.number}/merge", {"into": main.number})
    assert response["Location"] == f"/agent/tickets/{main.number}"
    client.post(f"/agent/tickets/{main.number}/problem", {"problem": problem.number})
    main.refresh_from_db()
    assert main.problem_id == problem.pk
    assert Ticket.objects.get(pk=duplicate.pk).status == "closed"
    response = client.post(f"/agent/tickets/{main.number}/merge", {"into": 999999})
    assert response.status_code == 400
    assert "No such ticket." in response.content.decode()


def test_forms_need_the_csrf_token(alice, dana, make_ticket):
    ticket = make_ticket(dana)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post(f"/agent/tickets/{ticket.number}/reply", {"body": "hi"})
    assert response.status_code == 403
    page = strict.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 4
