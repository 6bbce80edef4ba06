"""Every mail the desk sends goes through the outbox, whoever sends it.

Opora's `EMAIL_BACKEND` is `OutboxBackend`: `send_mail` and `EmailMessage.send` (the
sign-in link, SLA notices, the weekly digest, rating requests, anything added later)
store the rendered message as a `Delivery` of the `DESK_MAIL` channel and queue it,
instead of talking to a mail server while a page or a job waits. The outbox then sends
it through the real transport (`transport()`: SMTP when OPORA_SMTP_HOST is set, else
the file backend into `<data dir>/outbox`), retries it with backoff, marks it failed
after the last attempt, and lists it on the console's outbox page with "Send again".
A mail server that is down therefore never turns into a 500 or a traceback in the
caller, and no mail is sent or lost without a row that says so.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from email.message import Message as MimeMessage
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from opora.inbox.channels import DeliveryFailed
from opora.inbox.email.adapter import permanent_failure
from opora.inbox.email.transport import OUTBOX_BACKEND, transport
from opora.inbox.models import DESK_MAIL, Delivery
from opora.tickets.models import Message, Ticket

# What a desk mail is, when the sender names it (header X-Opora-Kind); else "mail".
KIND_HEADER = "X-Opora-Kind"


class OutboxBackend(BaseEmailBackend):
    """Queues each message in the outbox; the sending happens in a job."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from opora.inbox.delivery import schedule

        rows = []
        for mail in email_messages:
            recipients = mail.recipients()
            if not recipients:
                continue
            rendered = mail.message()  # also checks the headers, as every backend does
            headers = getattr(mail, "extra_headers", {}) or {}
            rows.append(
                Delivery(
                    channel=DESK_MAIL,
                    kind=str(headers.get(KIND_HEADER, "mail"))[:32],
                    address=", ".join(recipients)[:320],
                    subject=str(mail.subject or "")[:255],
                    external_id=str(rendered.get("Message-ID", "")).strip("<> ")[:255],
                    rendered=rendered.as_bytes(linesep="\r\n"),
                )
            )
        if rows:
            with transaction.atomic():
                schedule(rows)
        return len(rows)


class _StoredMime:
    """A stored message, shaped as the backends read `EmailMessage.message()`."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        lines = self.raw.replace(b"\r\n", b"\n").split(b"\n")
        return linesep.encode().join(lines)

    def get_charset(self) -> None:
        return None


class StoredMail(EmailMessage):
    """A mail already rendered once, sent again byte for byte."""

    def __init__(self, raw: bytes, recipients: list[str], connection: BaseEmailBackend) -> None:
        parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
        super().__init__(
            subject=str(parsed.get("Subject", "")),
            from_email=str(parsed.get("From", "")) or settings.DEFAULT_FROM_EMAIL,
            to=recipients,
            connection=connection,
        )
        self.raw = raw

    def message(self, *, policy: Any = None) -> Any:
        return _StoredMime(self.raw)


class DeskMailAdapter:
    """The outbox's adapter for the desk's own mail: sends the stored message."""

    channel: str = DESK_MAIL
    immediate = False

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        return None  # never the channel of a ticket

    def deliver(self, delivery: Delivery) -> str:
        raw = bytes(delivery.rendered or b"")
        if not raw:
            raise DeliveryFailed("nothing stored to send", permanent=True)
        recipients = [a.strip() for a in delivery.address.split(",") if a.strip()]
        try:
            StoredMail(raw, recipients, transport(timeout=settings.EMAIL_TIMEOUT)).send()
        except Exception as exc:
            if permanent_failure(exc):
                raise DeliveryFailed(f"{type(exc).__name__}: {exc}", permanent=True) from exc
            raise
        return delivery.external_id


def parsed(delivery: Delivery) -> MimeMessage | None:
    """The stored message, parsed, for reading it in the app."""
    raw = bytes(delivery.rendered or b"")
    if not raw:
        return None
    return email.message_from_bytes(raw, policy=email.policy.default)


__all__ = ["OUTBOX_BACKEND", "DeskMailAdapter", "OutboxBackend", "transport"]
