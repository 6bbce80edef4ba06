"""The outbox in the console and the API: every mail the desk sends, its state, "Send
again", and the message readable in the app, also when it only went to a local folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.mail import send_mail
from django.test import Client

from opora.core.models import AdminChange
from opora.core.tasks import run_queued_tasks
from opora.inbox.email.transport import OUTBOX_BACKEND
from opora.inbox.models import DESK_MAIL, Delivery
from tests.inbox.servers import Sink, free_port, run_sink
from tests.writes import nothing_written

FILES = "django.core.mail.backends.filebased.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def local_outbox(settings, tmp_path: Path) -> Path:
    """A fresh install: no SMTP server, mail goes to <data dir>/outbox."""
    folder = tmp_path / "outbox"
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    settings.OUTBOX_TRANSPORT = FILES
    settings.EMAIL_FILE_PATH = str(folder)
    return folder


@pytest.fixture
def refusing_sink(settings):
    with run_sink(Sink(port=free_port(), rcpt_answer="550 5.1.1 No such user here")) as sink:
        settings.EMAIL_BACKEND = OUTBOX_BACKEND
        settings.OUTBOX_TRANSPORT = SMTP
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.port
        yield sink


def test_the_sign_in_link_without_smtp_answers_a_page_and_is_readable_in_the_outbox(
    local_outbox, ada, dana, django_capture_on_commit_callbacks
):
    # when a customer asks for a sign-in link on a desk with no SMTP server
    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post("/signin/link", {"email": dana.email})
    # then she gets the "link sent" page, not an error
    assert answer.status_code == 200
    mail = Delivery.objects.get(channel=DESK_MAIL)
    assert mail.state == "queued" and mail.address == dana.email and mail.ticket_id is None
    # and the job writes it to the local outbox folder
    run_queued_tasks()
    mail.refresh_from_db()
    assert mail.state == "sent"
    assert len(list(local_outbox.iterdir())) == 1
    # and the admin's outbox page says where mail is kept, and shows the message
    admin = signed_in(ada)
    page = admin.get("/admin/channels/outbox/").content.decode()
    assert "Mail is kept in the local outbox" in page and str(local_outbox) in page
    assert mail.subject in page
    message = admin.get(f"/admin/channels/outbox/{mail.pk}/").content.decode()
    assert "/signin/link/" in message and "data-mail-text" in message


def test_a_refused_mail_is_listed_as_failed_and_send_again_delivers_it(
    refusing_sink, ada, dana, django_capture_on_commit_callbacks
):
    # given a notice the mail server refuses for good
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Your weekly digest", "Figures of the week.", None, ["boss@desk.test"])
    run_queued_tasks()
    failed = Delivery.objects.get(channel=DESK_MAIL)
    assert failed.state == "failed" and "550" in failed.error and failed.attempts == 1
    admin = signed_in(ada)
    # then the outbox, filtered to failed mail, lists it with the server's answer
    page = admin.get("/admin/channels/outbox/", {"state": "failed"}).content.decode()
    assert f'data-delivery="{failed.pk}"' in page and "No such user" in page
    assert "Mail is kept in the local outbox" not in page
    assert (
        'data-state="sent"'
        not in admin.get("/admin/channels/outbox/?state=failed").content.decode()
    )
    # when the server accepts again and the admin presses "Send again"
    refusing_sink.rcpt_answer = "250 OK"
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin.post(f"/admin/channels/outbox/{failed.pk}/retry")
    assert answer.status_code == 302
    run_queued_tasks()
    failed.refresh_from_db()
    assert failed.state == "sent" and failed.error == ""
    assert len(refusing_sink.messages) == 1 and b"Figures of the week." in refusing_sink.messages[0]
    assert AdminChange.objects.filter(area="channels", action="resent", target_id=str(failed.pk))


def test_an_unreachable_smtp_server_is_retried_not_a_500(
    settings, ada, dana, django_capture_on_commit_callbacks
):
    # given an SMTP server that is not listening
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    settings.OUTBOX_TRANSPORT = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post("/signin/link", {"email": dana.email})
    assert answer.status_code == 200
    run_queued_tasks()
    waiting = Delivery.objects.get(channel=DESK_MAIL)
    # then it waits for another attempt, and the outbox says why
    assert waiting.state == "queued" and waiting.attempts == 1 and waiting.next_attempt_at
    assert "refused" in waiting.error.lower()
    page = signed_in(ada).get("/admin/channels/outbox/").content.decode()
    assert f'data-delivery="{waiting.pk}"' in page and "1 attempt; next" in page


def test_the_outbox_api_lists_and_retries_for_admins_only(
    refusing_sink, ada, alice, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Breach soon", "Ticket #5 is at risk.", None, ["lead@desk.test"])
    run_queued_tasks()
    failed = Delivery.objects.get()
    listed = api(ada).get("/outbox", {"state": "failed"}).json()
    assert [row["id"] for row in listed["items"]] == [failed.pk]
    assert listed["items"][0]["subject"] == "Breach soon" and listed["local_outbox"] is None
    # an agent is refused, and nothing changes
    agent = api(alice)
    with nothing_written(failed):
        assert agent.get("/outbox").status_code == 403
        assert agent.post(f"/outbox/{failed.pk}/retry").status_code == 403
    refusing_sink.rcpt_answer = "250 OK"
    with django_capture_on_commit_callbacks(execute=True):
        retried = api(ada).post(f"/outbox/{failed.pk}/retry")
    assert retried.status_code == 200 and retried.json()["state"] == "queued"
    # a mail that did not fail cannot be sent again
    assert api(ada).post(f"/outbox/{failed.pk}/retry").status_code == 422
    assert api(ada).get("/outbox", {"cursor": "garbage"}).status_code in (400, 422)


def test_a_reply_keeps_its_rendered_mail_for_the_outbox(
    local_outbox, ada, alice, make_ticket, dana, django_capture_on_commit_callbacks
):
    from opora.tickets import actions

    ticket = make_ticket(dana, channel="email")
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="Restart the <b>spooler</b>, please.")
    run_queued_tasks()
    reply = Delivery.objects.get(kind="reply")
    assert reply.state == "sent" and reply.subject and bytes(reply.rendered)
    page = signed_in(ada).get(f"/admin/channels/outbox/{reply.pk}/").content.decode()
    assert "Restart the" in page and f"#{ticket.number}" in page
    assert "<script" not in page.split("data-mail")[1]
