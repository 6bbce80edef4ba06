"""The customer portal: requests, attachments, visibility, solve and reopen."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opora.accounts.actions import set_user_language
from opora.automation.models import BotConversation
from opora.tickets import actions
from opora.tickets.models import Ticket
from tests.writes import nothing_written


def _new(client, **extra):
    data = {
        "subject": "Printer is silent",
        "body": "Nothing prints.",
        "type": "question",
        "priority": "",
    }
    return client.post("/portal/new", data | extra)


def test_a_customer_submits_a_request_with_an_attachment(client, dana):
    client.force_login(dana)
    response = _new(
        client,
        priority="high",
        type="complaint",
        attachments=SimpleUploadedFile("log.txt", b"E42", "text/plain"),
    )
    ticket = Ticket.objects.get(subject="Printer is silent")
    assert response["Location"] == f"/portal/requests/{ticket.number}"
    assert (ticket.channel, ticket.type, ticket.priority, ticket.requester_id) == (
        "web",
        "complaint",
        3,
        dana.pk,
    )
    page = client.get(response["Location"]).content.decode()
    assert "log.txt" in page


def test_missing_fields_show_errors_in_the_users_language_and_keep_input(client, dana):
    set_user_language(dana, "ru")
    client.force_login(dana)
    with nothing_written():
        response = client.post(
            "/portal/new", {"subject": "Принтер", "body": "", "type": "question"}
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Обязательное поле." in page
    assert 'value="Принтер"' in page


def test_oversized_and_forbidden_files_are_refused_clearly(client, dana, settings):
    settings.MAX_ATTACHMENT_MB = 1
    client.force_login(dana)
    big = SimpleUploadedFile("dump.bin", b"x" * (1024 * 1024 + 1))
    with nothing_written():
        response = _new(client, attachments=big)
    assert response.status_code == 400
    assert "“dump.bin” is larger than the 1 MB limit." in response.content.decode()
    assert 'value="Printer is silent"' in response.content.decode()
    with nothing_written():
        response = _new(client, attachments=SimpleUploadedFile("setup.exe", b"MZ"))
    assert response.status_code == 400
    assert "Files of type .exe are not accepted" in response.content.decode()


def test_another_customers_request_is_a_404_page(client, charlie, dana, make_ticket):
    ticket = make_ticket(dana, subject="Private")
    client.force_login(charlie)
    with nothing_written(ticket):
        answers = [
            client.get(f"/portal/requests/{ticket.number}"),
            client.post(f"/portal/requests/{ticket.number}/reply", {"body": "me too"}),
            client.post(f"/portal/requests/{ticket.number}/status", {"status": "solved"}),
            client.post(f"/portal/requests/{ticket.number}/rate", {"score": "1"}),
            client.post(f"/portal/requests/{ticket.number}/bot", {"solved": "yes"}),
        ]
    for response in answers:
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()


def test_agents_and_visitors_do_not_write_through_the_portal(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    forms = [
        ("/portal/new", {"subject": "x", "body": "y", "type": "question", "priority": ""}),
        (f"/portal/requests/{ticket.number}/reply", {"body": "from the portal"}),
        (f"/portal/requests/{ticket.number}/status", {"status": "solved"}),
    ]
    # an agent is sent to the workspace
    client.force_login(alice)
    with nothing_written(ticket):
        answers = [client.post(path, data) for path, data in forms]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, "/agent/")}
    # and a visitor to the sign-in page
    client.logout()
    with nothing_written(ticket):
        answers = [client.post(path, data) for path, data in forms]
    assert all(a.status_code == 302 and a["Location"].startswith("/signin") for a in answers)


def test_only_the_requester_answers_the_bot_on_the_portal(client, dana, dave, make_ticket):
    # given the bot waiting for Dana's answer on her shared request
    ticket = make_ticket(dana)
    conversation = BotConversation.objects.create(ticket=ticket, state="awaiting")
    client.force_login(dave)
    # when her colleague says it is solved
    with nothing_written(ticket, conversation):
        response = client.post(f"/portal/requests/{ticket.number}/bot", {"solved": "yes"})
    # then he is told it is not his to answer, and the bot keeps waiting
    assert response.status_code == 403
    assert "Only the person who asked answers this question." in response.content.decode()


def test_colleagues_see_shared_requests_but_never_notes(client, alice, dana, dave, make_ticket):
    ticket = make_ticket(dana, subject="Shared printer")
    actions.add_message(ticket, by=alice, body="Public answer")
    actions.add_message(ticket, by=alice, body="Secret note", internal=True)
    client.force_login(dave)
    assert "Shared printer" in client.get("/portal/?scope=organization").content.decode()
    assert "Shared printer" not in client.get("/portal/").content.decode()
    page = client.get(f"/portal/requests/{ticket.number}").content.decode()
    assert "Public answer" in page
    assert "Secret note" not in page


def test_solve_and_reopen_within_the_window(client, dana, make_ticket, settings):
    settings.REOPEN_DAYS = 7
    ticket = make_ticket(dana)
    client.force_login(dana)
    client.post(f"/portal/requests/{ticket.number}/status", {"status": "solved"})
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert "Reopen the request" in client.get(f"/portal/requests/{ticket.number}").content.decode()
    client.post(f"/portal/requests/{ticket.number}/status", {"status": "open"})
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_after_the_window_the_customer_is_asked_for_a_new_request(
    client, dana, make_ticket, settings
):
    settings.REOPEN_DAYS = 7
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=dana)
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=timezone.now() - timedelta(days=8))
    client.force_login(dana)

    page = client.get(f"/portal/requests/{ticket.number}").content.decode()
    assert "Reopen the request" not in page
    assert "Write a new request" in page
    with nothing_written(ticket):
        reopen = client.post(f"/portal/requests/{ticket.number}/status", {"status": "open"})
        reply = client.post(f"/portal/requests/{ticket.number}/reply", {"body": "Again!"})
        unknown = client.post(f"/portal/requests/{ticket.number}/status", {"status": "closed"})
    assert reopen.status_code == reply.status_code == unknown.status_code == 400
    assert "please write a new one" in reply.content.decode()
    assert "Unknown action." in unknown.content.decode()


def test_a_customer_reply_reopens_a_pending_request(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(status="pending"), by=alice)
    client.force_login(dana)
    response = client.post(f"/portal/requests/{ticket.number}/reply", {"body": "Here it is"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"
    with nothing_written(ticket):
        response = client.post(f"/portal/requests/{ticket.number}/reply", {"body": ""})
    assert response.status_code == 400


def test_attachments_download_only_for_those_who_may_read_them(
    client, alice, charlie, dana, make_ticket
):
    ticket = make_ticket(dana, attachments=[])
    message = actions.add_message(
        ticket,
        by=alice,
        body="see file",
        internal=True,
        attachments=[actions.IncomingFile("notes.txt", SimpleUploadedFile("n", b"x"), 1)],
    )
    attachment = message.attachments.get()
    client.force_login(alice)
    assert client.get(f"/attachments/{attachment.pk}").status_code == 200
    client.force_login(dana)
    assert client.get(f"/attachments/{attachment.pk}").status_code == 404
    client.force_login(charlie)
    assert client.get(f"/attachments/{attachment.pk}").status_code == 404
