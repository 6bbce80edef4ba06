"""The channel layer's outbox (`Delivery`): every message the desk sends a customer, on
any channel; the e-mail channel's own models live in inbox/email/models.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.core.fields import BulkBinaryField
from opora.inbox.email.models import Mailbox, RawMessage, RawState

if TYPE_CHECKING:
    from opora.tickets.models import Ticket

__all__ = [
    "DESK_MAIL",
    "MAIL_CHANNELS",
    "OUTBOX_CHANNELS",
    "Delivery",
    "DeliveryState",
    "Mailbox",
    "RawMessage",
    "RawState",
]

# Channels whose deliveries go out as e-mail: their `external_id` is the mail's
# Message-ID, set when the delivery is queued, and a customer's answer to the mail is
# threaded by it (inbox/email/threading.py).
MAIL_CHANNELS = ("email", "web")
# The desk's own mail that belongs to no ticket's conversation (sign-in links, SLA
# notices, digests, rating requests): every `send_mail` goes through the outbox as a
# delivery of this channel (inbox/mail_backend.py), kept rendered and retried.
DESK_MAIL = "mail"
# Channels whose deliveries are e-mail, shown on the console's outbox page.
OUTBOX_CHANNELS = (*MAIL_CHANNELS, DESK_MAIL)


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Failed")
    # Reported by the provider after sending (WhatsApp's statuses).
    RECEIVED = "delivered", _("Received")
    READ = "read", _("Read")


class Delivery(models.Model):
    """One public message of the desk on its way to the customer through a channel.

    Written in the same transaction as the message (queued if and only if the message
    is stored), delivered by a job, retried with backoff; its state is shown beside the
    message on the ticket."""

    # Empty only for the desk's own mail (DESK_MAIL), which answers no ticket. Typed as
    # always set: every other delivery has one, and the few places that handle desk
    # mail (inbox/mail_backend.py, the outbox page and API) check `ticket_id`.
    ticket: models.ForeignKey[Ticket | None, Ticket] = models.ForeignKey(  # type: ignore[misc]
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ticket_message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=32, default="reply")  # reply, ticket_created
    address = models.CharField(max_length=320)  # where to: an address, a visitor, a chat id
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # The provider's id of what was sent; for mail, the Message-ID (set when queued).
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # For mail: the subject and the whole message as sent (RFC 5322 bytes), so the outbox
    # page shows what went out, also when it only went to the local outbox folder.
    subject = models.CharField(max_length=255, blank=True)
    rendered = BulkBinaryField(blank=True, default=b"")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "channel"], name="delivery_state")]
        constraints = [
            # A Message-ID names one mail; the unique index also serves threading's
            # lookup of a customer's References (the same condition in the query).
            models.UniqueConstraint(
                fields=["external_id"],
                condition=models.Q(channel__in=MAIL_CHANNELS) & ~models.Q(external_id=""),
                name="delivery_message_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} {self.pk} ({self.state})"
