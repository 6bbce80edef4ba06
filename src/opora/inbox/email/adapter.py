"""The e-mail channel as an adapter of the channel layer (`inbox/channels.py`).

The desk's public replies on e-mail tickets, and the acknowledgements of new ones, are
`Delivery` rows like every channel's; this adapter gives each its Message-ID when it is
queued (so the customer's answer threads even before the mail is sent) and sends it.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from opora.inbox.channels import DeliveryFailed
from opora.inbox.email.outbound import build_mail, mailboxes_for_tickets, new_message_id
from opora.inbox.models import Delivery
from opora.tickets.models import Channel, Message, Ticket


def permanent_failure(exc: Exception) -> bool:
    """5xx answers and refused recipients will not get better by trying again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


# A rendered mail up to this size is kept on its delivery for the outbox page; a larger
# one (big attachments, which the ticket keeps anyway) only by its subject.
KEEP_RENDERED_BYTES = 2 * 1024 * 1024


def keep(delivery: Delivery, raw: bytes, subject: str) -> None:
    """Keep what is about to be sent on the delivery, once, for the outbox page."""
    if delivery.rendered:
        return
    delivery.subject = subject[:255]
    delivery.rendered = raw if len(raw) <= KEEP_RENDERED_BYTES else b""
    Delivery.objects.filter(pk=delivery.pk).update(
        subject=delivery.subject, rendered=delivery.rendered
    )


class EmailAdapter:
    """Replies on e-mail tickets go back by mail to the requester."""

    channel: str = Channel.EMAIL
    immediate = False
    # The template set (see outbound.TEMPLATE_SETS).
    templates = ""

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        requester = ticket.requester
        return requester.email if requester.reachable_by_email else None

    def prepare(self, delivery: Delivery) -> None:
        self.prepare_many([delivery])

    def prepare_many(self, deliveries: Sequence[Delivery]) -> None:
        todo = [d for d in deliveries if not d.external_id]
        mailboxes = mailboxes_for_tickets([d.ticket for d in todo]) if todo else {}
        for delivery in todo:
            delivery.external_id = new_message_id(mailboxes.get(delivery.ticket.pk))

    def deliver(self, delivery: Delivery) -> str:
        try:
            mail = build_mail(delivery, templates=self.templates)
            keep(delivery, mail.message().as_bytes(linesep="\r\n"), str(mail.subject))
            mail.send()
        except Exception as exc:
            if permanent_failure(exc):
                raise DeliveryFailed(f"{type(exc).__name__}: {exc}", permanent=True) from exc
            raise
        return delivery.external_id
