"""The ticket page: permissions, composer, side panel, merge and problem links, CSRF."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opora.tickets import actions
from opora.tickets.models import Message, Ticket
from tests.writes import nothing_written

# Every form of the ticket page, with data it would accept from an agent of the team.
FORMS = {
    "reply": {"kind": "reply", "body": "Restart the printer.", "status": "pending"},
    "update": {"take": "1"},
    "merge": {"into": "{other}"},
    "problem": {"problem": "{other}"},
    "time": {"minutes": "10"},
    "to-article": {},
}


def _form(name: str, other: Ticket) -> dict[str, str]:
    return {key: value.format(other=other.number) for key, value in FORMS[name].items()}


def test_an_agent_outside_the_team_gets_404(client, otto, billing, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(otto)
    response = client.get(f"/agent/tickets/{ticket.number}")
    assert response.status_code == 404


def test_the_team_may_post_every_form(client, alice, dana, make_ticket):
    # the forms below are refused for who sends them, not for what they hold
    ticket = make_ticket(dana)
    other = make_ticket(dana, type="problem")
    client.force_login(alice)
    for name in ("reply", "update", "time", "to-article", "problem", "merge"):
        if name == "to-article":  # only a solved ticket turns into an article
            actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
        response = client.post(f"/agent/tickets/{ticket.number}/{name}", _form(name, other))
        assert response.status_code == 302, name


@pytest.mark.parametrize("name", list(FORMS))
def test_an_agent_outside_the_team_and_a_customer_post_nothing(
    client, otto, billing, dana, make_ticket, name
):
    # given a Support ticket, and a Billing problem Otto may see
    ticket = make_ticket(dana)
    other = make_ticket(dana, team=billing, type="problem")
    # when Otto (Billing) and then Dana (a customer) post the form
    client.force_login(otto)
    with nothing_written(ticket, other):
        outsider = client.post(f"/agent/tickets/{ticket.number}/{name}", _form(name, other))
    client.force_login(dana)
    with nothing_written(ticket, other):
        customer = client.post(f"/agent/tickets/{ticket.number}/{name}", _form(name, other))
    # then Otto sees no such ticket and Dana is sent to her portal
    assert outsider.status_code == 404
    assert (customer.status_code, customer["Location"]) == (302, "/portal/")


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
    with nothing_written(ticket):
        response = client.post(
            f"/agent/tickets/{ticket.number}/reply",
            {"kind": "note", "body": "  ", "status": "pending"},
        )
    assert response.status_code == 400
    assert response.context["composer"].errors["body"]
    assert 'value="pending" selected' in response.content.decode()


def test_a_reply_whose_status_change_is_refused_stores_nothing(client, alice, dana, make_ticket):
    # given a solved ticket, which cannot go to pending
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    client.force_login(alice)
    # when Alice replies and asks for pending
    with nothing_written(ticket):
        response = client.post(
            f"/agent/tickets/{ticket.number}/reply",
            {"kind": "reply", "body": "One more thing", "status": "pending"},
        )
    # then the form comes back with the reason, and the customer got nothing
    assert response.status_code == 400
    assert response.context["composer"].errors["status"]


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
    with nothing_written(ticket):
        response = client.post(
            f"/agent/tickets/{ticket.number}/update", base | {"assignee": str(otto.pk), "line": "3"}
        )
    # (422, with the reason next to the assignee field and the agent's choices kept)
    assert response.status_code == 422
    assert "not a member" in response.context["panel_errors"]["assignee"]
    # nor with a line that is none
    with nothing_written(ticket):
        response = client.post(f"/agent/tickets/{ticket.number}/update", base | {"line": "x"})
    assert response.status_code == 422
    assert "support line must be 1, 2 or 3" in response.context["panel_errors"]["line"]


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
    with nothing_written(main, problem):
        unknown = client.post(f"/agent/tickets/{main.number}/merge", {"into": 999999})
        into_closed = client.post(f"/agent/tickets/{main.number}/merge", {"into": duplicate.number})
        not_a_problem = client.post(
            f"/agent/tickets/{problem.number}/problem", {"problem": main.number}
        )
    assert unknown.status_code == into_closed.status_code == not_a_problem.status_code == 400
    assert "No such ticket." in unknown.content.decode()
    assert "Cannot merge into a closed ticket." in into_closed.content.decode()
    assert f"Ticket #{main.number} is not a problem." in not_a_problem.content.decode()


def test_forms_need_the_csrf_token(alice, dana, make_ticket):
    ticket = make_ticket(dana)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    with nothing_written(ticket):
        response = strict.post(f"/agent/tickets/{ticket.number}/reply", {"body": "hi"})
    assert response.status_code == 403
    page = strict.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 4


def _statements(client: Client, url: str) -> int:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    client.get(url)  # the SLA configuration and the counters read again once
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_page_reads_as_many_statements_for_a_long_thread_as_for_a_short_one(
    client, alice, dana, make_ticket
):
    # given a ticket with one message
    ticket = make_ticket(dana)
    client.force_login(alice)
    url = f"/agent/tickets/{ticket.number}"
    short = _statements(client, url)

    # when thirty replies and notes follow
    for i in range(30):
        actions.add_message(ticket, by=alice, body=f"Step {i}", internal=bool(i % 3))

    # then the page costs the same statements, and no more than its cards need
    assert _statements(client, url) == short
    assert short <= 27
