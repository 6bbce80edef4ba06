from __future__ import annotations

import pytest

from opora.tickets.models import Event
from tests.writes import nothing_written


@pytest.fixture
def ticket(make_ticket, dana):
    return make_ticket(dana)


def test_an_agent_reply_is_the_first_response_and_opens_the_ticket(api, alice, ticket):
    # when Alice answers publicly
    response = api(alice).post(f"/tickets/{ticket.number}/messages", {"body": "Please restart it."})
    # then the reply is stored, the first response time is set and the ticket is open
    assert response.status_code == 201, response.content
    assert response.json()["internal"] is False
    assert response.json()["author"]["email"] == "alice@desk.test"
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == "open"
    reply = Event.objects.filter(ticket=ticket, kind="reply_added").last()
    assert reply is not None
    assert reply.actor == alice
    assert reply.new == str(response.json()["id"])


def test_an_internal_note_is_not_a_response(api, alice, ticket):
    response = api(alice).post(
        f"/tickets/{ticket.number}/messages", {"body": "Check the toner", "internal": True}
    )
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == "new"
    assert Event.objects.filter(ticket=ticket, kind="note_added", actor=alice).count() == 1


def test_a_customer_cannot_write_internal_notes(api, dana, ticket):
    customer = api(dana)
    with nothing_written(ticket):
        response = customer.post(
            f"/tickets/{ticket.number}/messages", {"body": "x", "internal": True}
        )
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "internal"
    assert response.json()["code"] == "agents_only"


def test_a_customer_reply_reopens_a_pending_or_solved_ticket(api, alice, dana, ticket):
    for waiting in ("pending", "solved"):
        api(alice).patch(f"/tickets/{ticket.number}", {"status": waiting})
        response = api(dana).post(f"/tickets/{ticket.number}/messages", {"body": "Still broken"})
        assert response.status_code == 201
        ticket.refresh_from_db()
        assert ticket.status == "open", waiting
        last = Event.objects.filter(ticket=ticket, kind="status_changed").last()
        assert last is not None
        assert (last.old, last.new, last.actor) == (waiting, "open", dana)


def test_nobody_writes_to_a_closed_ticket(api, alice, dana, ticket):
    api(alice).patch(f"/tickets/{ticket.number}", {"status": "solved"})
    api(alice).patch(f"/tickets/{ticket.number}", {"status": "closed"})
    for author in (dana, alice):
        client = api(author)
        with nothing_written(ticket):
            response = client.post(f"/tickets/{ticket.number}/messages", {"body": "hello?"})
        assert response.status_code == 422
        assert response.json()["code"] == "ticket_closed"


def test_customers_never_see_internal_notes(api, alice, dana, dave, ticket):
    api(alice).post(f"/tickets/{ticket.number}/messages", {"body": "secret note", "internal": True})
    api(alice).post(f"/tickets/{ticket.number}/messages", {"body": "public answer"})
    for customer in (dana, dave):
        bodies = [m["body"] for m in api(customer).get(f"/tickets/{ticket.number}/messages").json()]
        assert "secret note" not in bodies
        assert "public answer" in bodies
    agent_view = [m["body"] for m in api(alice).get(f"/tickets/{ticket.number}/messages").json()]
    assert "secret note" in agent_view


def test_attachments_of_internal_notes_stay_internal(api, alice, dana, ticket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    note = api(alice).upload(
        f"/tickets/{ticket.number}/messages",
        {
            "body": "log",
            "internal": "true",
            "attachments": [SimpleUploadedFile("debug.log", b"internal details")],
        },
    )
    assert note.status_code == 201, note.content
    assert note.json()["internal"] is True
    url = note.json()["attachments"][0]["url"]
    assert api(alice).client.get(url).status_code == 200
    assert api(dana).client.get(url).status_code == 404
