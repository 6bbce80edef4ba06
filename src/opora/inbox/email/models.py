"""Mailboxes and every raw message received (stored before parsing); mail sent out is a
`Delivery` of the channel layer (inbox/models.py)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Language, Team
from opora.core.fields import BulkBinaryField

# The name of a variable or of a file in OPORA_MAILBOX_SECRET_DIR, never a path: a name
# like "../../etc/shadow" would make the secret directory read any file as a password.
PASSWORD_ENV_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$"  # noqa: S105 - a name pattern


class Mailbox(models.Model):
    """An address the desk receives mail at, and where to fetch it (IMAP) if polled.

    The IMAP password is never stored here: it comes from the environment variable
    named by `password_env`, or from a file of that name in OPORA_MAILBOX_SECRET_DIR.
    """

    address = models.EmailField(_("address"), unique=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="mailboxes"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_tls = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_user = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    # Processed messages are moved here (created if missing); empty: flagged \Seen only.
    imap_done_folder = models.CharField(_("folder for processed mail"), max_length=255, blank=True)
    password_env = models.CharField(
        _("password variable or secret file name"),
        max_length=255,
        blank=True,
        validators=[
            RegexValidator(
                PASSWORD_ENV_PATTERN,
                _("A variable or file name: letters, digits, “_”, “.” and “-”, not a path."),
            )
        ],
    )
    # Outgoing mail of this mailbox's domain is DKIM-signed with this key (generated on
    # the mailbox's console page, which shows the DNS record to publish; dkim.py).
    dkim_selector = models.CharField(_("DKIM selector"), max_length=63, default="opora")
    dkim_private_key = models.TextField(_("DKIM private key"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()

    @property
    def dkim_dns_name(self) -> str:
        """Where the public key is published: <selector>._domainkey.<domain>."""
        return f"{self.dkim_selector}._domainkey.{self.domain}" if self.dkim_private_key else ""

    @property
    def dkim_dns_value(self) -> str:
        from opora.inbox.email.dkim import public_record

        return public_record(self.dkim_private_key) if self.dkim_private_key else ""


class RawState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PARSED = "parsed", _("Parsed")
    FAILED = "failed", _("Failed, flagged for review")
    IGNORED = "ignored", _("Ignored (auto-reply, bounce, loop, flood)")


class RawMessage(models.Model):
    """One message exactly as received, written before anything else happens to it.

    The bytes live in the row (not in a file) so that storing them and recording
    the message are one transaction: after a crash there is never a row without its
    bytes or bytes without a row. PostgreSQL keeps large values out of line (TOAST).
    """

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="raw_messages"
    )
    message_id = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    raw = BulkBinaryField()
    source = models.CharField(max_length=16, default="file")  # imap, smtp, file
    state = models.CharField(max_length=16, choices=RawState.choices, default=RawState.RECEIVED)
    error = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket_message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The ticket shows this message shortened (quoted history or a signature cut off):
    # the agent's page offers the rest ("Show quoted text").
    trimmed = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # The same bytes under the same Message-ID are one message, however often
            # they are delivered (IMAP re-fetch after a crash, MTA retries, re-imports).
            models.UniqueConstraint(fields=["message_id", "sha256"], name="rawmessage_dedupe")
        ]
        indexes = [
            models.Index(fields=["message_id"], name="rawmessage_msgid"),
            models.Index(fields=["state", "id"], name="rawmessage_state"),
        ]

    def __str__(self) -> str:
        return f"raw message {self.pk} ({self.state})"
