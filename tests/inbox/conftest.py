"""Helpers for the e-mail channel: a support mailbox and messages built like clients do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections

from opora.accounts.models import Team
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.email.pipeline import receive_and_process
from opora.inbox.email.smtpd import make_controller
from tests.inbox.servers import Sink, ensure_packages, free_port, run_sink


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


@pytest.fixture
def smtpd(transactional_db: None) -> Iterator[int]:
    """`opora smtpd`'s receiver on a free port (with swaks to talk to it)."""
    ensure_packages("swaks")
    port = free_port()
    controller = make_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
        # The receiver's database work runs in asgiref's one sync thread: close the
        # connection it holds there, or the test database cannot be dropped.
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


@pytest.fixture
def sink(settings: Any) -> Iterator[Sink]:
    """A real SMTP server receiving everything Opora sends."""
    with run_sink() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        yield server
