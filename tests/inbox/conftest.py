"""Helpers for the e-mail channel: a support mailbox and messages built like clients do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest

from opora.accounts.models import Team
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.email.pipeline import receive_and_process


@pytest.fixture
def mailbox(support: Team) -> Mailbox:
    return Mailbox.objects.create(address="support@desk.test", team=support, language="en")


def build_mail(
    *,
    sender: str = "Dana <dana@acme.test>",
    to: str = "support@desk.test",
    subject: str = "Printer is on fire",
    body: str = "Hello, the printer on floor 3 is on fire.",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="acme.test")
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


@pytest.fixture
def deliver(mailbox: Mailbox) -> Callable[..., RawMessage]:
    def _deliver(raw: bytes, **kwargs: Any) -> RawMessage:
        return receive_and_process(raw, mailbox=kwargs.get("box", mailbox), source="file")

    return _deliver
