"""The quoted history an e-mail reply was shown without stays one click away on the
agent's ticket page ("Show quoted text"), and every e-mail message's original can be
downloaded (page and API), by the desk and by nobody else's customers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from opora.accounts.models import User
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.email.pipeline import receive_and_process_many
from opora.tickets.models import Message, Ticket
from tests.conftest import Api
from tests.inbox.conftest import build_mail
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db

QUOTED = "Please send us the exact error message."


def _thread(mailbox: Mailbox) -> tuple[Ticket, Message, RawMessage]:
    """A ticket by e-mail from Dana, and her reply with the desk's message quoted."""
    [opened] = receive_and_process_many(
        [build_mail(subject="Report fails", message_id="<first@acme.test>")], mailbox=mailbox
    )
    reply = build_mail(
        subject="Re: Report fails",
        body=(
            "It says: timeout (code 504).\n\n"
            "On Thu, Mar 12, 2026 at 10:04 AM Support <support@desk.test> wrote:\n"
            f"> {QUOTED}\n"
        ),
        headers={"In-Reply-To": "<first@acme.test>"},
        message_id="<second@acme.test>",
    )
    [raw] = receive_and_process_many([reply], mailbox=mailbox)
    assert raw.ticket_id == opened.ticket_id and raw.trimmed
    assert raw.ticket_id is not None and raw.ticket_message_id is not None
    message = Message.objects.get(pk=raw.ticket_message_id)
    return Ticket.objects.get(pk=raw.ticket_id), message, raw


@pytest.mark.parametrize(
    ("language", "show", "hide", "download"),
    [
        ("en", "Show quoted text", "Hide quoted text", "Download original (.eml)"),
        ("ru", "Показать цитату", "Скрыть цитату", "Скачать оригинал (.eml)"),
    ],
)
def test_the_quoted_text_is_one_click_away(
    client: Client,
    alice: User,
    mailbox: Mailbox,
    language: str,
    show: str,
    hide: str,
    download: str,
) -> None:
    ticket, message, _ = _thread(mailbox)
    alice.language = language
    alice.save(update_fields=["language"])
    client.force_login(alice)
    with translation.override(language):
        page = client.get(f"/agent/tickets/{ticket.number}", HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert "timeout (code 504)" in html
    assert QUOTED not in html
    assert show in html and download in html
    assert html.count(show) == 1  # only the reply that was shortened offers it

    with translation.override(language):
        opened = client.get(
            f"/agent/tickets/{ticket.number}?quoted={message.pk}", HTTP_ACCEPT_LANGUAGE=language
        )
    expanded = opened.content.decode()
    assert QUOTED in expanded and hide in expanded


def test_the_original_downloads_exactly_as_received(
    client: Client, alice: User, mailbox: Mailbox
) -> None:
    ticket, message, raw = _thread(mailbox)
    client.force_login(alice)
    response = client.get(f"/agent/tickets/{ticket.number}/messages/{message.pk}/original.eml")
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert "attachment" in response["Content-Disposition"]
    assert response.content == bytes(raw.raw)


def test_the_api_gives_the_original_to_the_desk_and_to_its_sender(
    api: Callable[[User | None], Api], alice: User, mailbox: Mailbox
) -> None:
    ticket, message, raw = _thread(mailbox)
    response = api(alice).get(f"/tickets/{ticket.number}/messages/{message.pk}/original")
    assert response.status_code == 200 and response.content == bytes(raw.raw)
    dana = User.objects.get(email="dana@acme.test")
    own = api(dana).get(f"/tickets/{ticket.number}/messages/{message.pk}/original")
    assert own.status_code == 200


def test_a_customer_never_gets_someone_elses_mail(
    api: Callable[[User | None], Api], alice: User, dave: User, mailbox: Mailbox
) -> None:
    ticket, message, _ = _thread(mailbox)
    outsider = api(dave)  # signing in writes a token: before the block
    with nothing_written(ticket):
        response = outsider.get(f"/tickets/{ticket.number}/messages/{message.pk}/original")
    assert response.status_code == 404
    assert response.json()["code"]


def test_a_message_that_is_no_email_has_no_original(
    client: Client, alice: User, dana: User, make_ticket: Callable[..., Ticket]
) -> None:
    ticket = make_ticket(dana)
    message = ticket.messages.first()
    assert message is not None
    client.force_login(alice)
    response = client.get(f"/agent/tickets/{ticket.number}/messages/{message.pk}/original.eml")
    assert response.status_code == 404
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "original (.eml)" not in page


def test_a_customer_cannot_use_the_agent_download(
    client: Client, dana: User, mailbox: Mailbox
) -> None:
    ticket, message, _ = _thread(mailbox)
    client.force_login(User.objects.get(email="dana@acme.test"))
    response = client.get(f"/agent/tickets/{ticket.number}/messages/{message.pk}/original.eml")
    assert response.status_code in (302, 403, 404)
    assert b"Received" not in response.content and b"code 504" not in response.content
