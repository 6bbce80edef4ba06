"""A portal customer hears of the desk by e-mail: the acknowledgement of her request and
the agent's answer arrive at a real SMTP server, in her language, with the way back to
the request; answering the mail adds to the same ticket."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client

from opora.accounts.actions import create_user
from opora.accounts.models import Team, User
from opora.core.tasks import run_queued_tasks
from opora.inbox.email.models import Mailbox
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.inbox.servers import Sink, swaks

pytestmark = pytest.mark.integration


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _signed_in(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_a_russian_portal_customer_is_answered_by_mail_and_answers_back(
    smtpd: int, sink: Sink, support: Team, alice: User, settings: Any
) -> None:
    # given a desk whose address receives mail, and a Russian-speaking customer
    Mailbox.objects.create(address="support@desk.test", team=support, language="ru")
    settings.DEFAULT_FROM_EMAIL = "support@desk.test"
    settings.BASE_URL = "https://help.desk.test"
    olga = create_user(
        email="olga@cust.test", name="Ольга", password=PASSWORD, language="ru", by=None
    )

    # when she opens a request in the portal
    created = _signed_in(olga).post(
        "/portal/new",
        {
            "subject": "Не работает печать",
            "body": "С утра принтер на третьем этаже не печатает.",
            "type": "question",
        },
    )
    assert created.status_code == 302
    ticket = Ticket.objects.get()
    link = f"https://help.desk.test/portal/requests/{ticket.number}"
    run_queued_tasks()

    # then she receives the acknowledgement, in Russian, with the link
    [ack] = [_parse(m) for m in sink.messages]
    assert ack["To"] == "olga@cust.test"
    assert f"[#{ticket.number}]" in ack["Subject"] and "Ваша заявка получена" in ack["Subject"]
    assert "зарегистрирована" in _text(ack) and link in _text(ack)

    # when an agent answers in the agent workspace
    answered = _signed_in(alice).post(
        f"/agent/tickets/{ticket.number}/reply",
        {"kind": "reply", "body": "Перезапустите очередь печати, пожалуйста."},
    )
    assert answered.status_code == 302
    run_queued_tasks()

    # then the answer arrives by mail, in Russian, threaded, with the link and a reply address
    [reply] = [_parse(m) for m in sink.messages[1:]]
    text = _text(reply)
    assert "Перезапустите очередь печати, пожалуйста." in text
    assert "ответили" in text and link in text
    assert reply["In-Reply-To"] == ack["Message-ID"]
    reply_to = str(reply["Reply-To"])
    assert reply_to.startswith("support+") and reply_to.endswith("@desk.test")

    # when she answers that mail from her mail program
    result = swaks(
        smtpd,
        "--from", "olga@cust.test",
        "--to", reply_to,
        "--header", "From: Ольга <olga@cust.test>",
        "--header", f"Subject: Re: {reply['Subject']}",
        "--header", f"In-Reply-To: {reply['Message-ID']}",
        "--header", f"References: {reply['References']} {reply['Message-ID']}",
        "--body", "Спасибо, заработало!",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    run_queued_tasks()

    # then her words join the same request, and the desk sends nothing back for them
    assert Ticket.objects.count() == 1
    latest = ticket.messages.order_by("-id")[0]
    assert latest.body == "Спасибо, заработало!" and latest.author_id == olga.pk
    assert len(sink.messages) == 2
