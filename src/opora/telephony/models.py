"""Phone lines of the desk, the calls made and taken through them, and the raw events
the PBX sent about them.

A line's secret signs its webhooks (the generic format's HMAC key, Twilio's auth token,
Zadarma's API secret): stored, never shown or returned after it is saved.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team
from opora.tickets.models import Ticket

DEFAULT_CALLBACK_MINUTES = 60


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Provider(models.TextChoices):
    GENERIC = "generic", _("Generic (signed JSON)")
    TWILIO = "twilio", _("Twilio")
    ZADARMA = "zadarma", _("Zadarma")


class Direction(models.TextChoices):
    IN = "in", _("Incoming")
    OUT = "out", _("Outgoing")


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")
    VOICEMAIL = "voicemail", _("Voicemail")
    BUSY = "busy", _("Busy")
    FAILED = "failed", _("Failed")


# Outcomes of an incoming call nobody at the desk talked to: the caller is called back.
CALL_BACK_OUTCOMES = (Outcome.MISSED, Outcome.VOICEMAIL, Outcome.BUSY)


class PhoneLine(models.Model):
    """One connection to a PBX or a cloud telephony account."""

    name = models.CharField(_("name"), max_length=120)
    provider = models.CharField(
        _("provider"), max_length=16, choices=Provider.choices, default=Provider.GENERIC
    )
    secret = models.CharField(max_length=200, default=new_secret)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="phone_lines",
    )
    # The desk's numbers on this line, one per line ("+74951234567").
    numbers = models.TextField(_("numbers"), blank=True)
    # Extensions of the PBX and the agents behind them, one "101 = alice@example.com"
    # per line: events that name an extension find the agent here.
    extensions = models.TextField(_("extensions"), blank=True)
    # Business minutes (the ticket's SLA calendar) to call a missed caller back.
    callback_minutes = models.PositiveIntegerField(
        _("call back within (business minutes)"), default=DEFAULT_CALLBACK_MINUTES
    )
    active = models.BooleanField(_("active"), default=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def number_list(self) -> list[str]:
        return [n.strip() for n in self.numbers.splitlines() if n.strip()]


class Call(models.Model):
    """One phone call on a ticket: from the PBX's events, or logged by an agent."""

    line = models.ForeignKey(
        PhoneLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    # The provider's id of the call (unique per line); empty for a call logged by hand.
    provider_call_id = models.CharField(max_length=128, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    caller_number = models.CharField(max_length=40, blank=True)
    called_number = models.CharField(max_length=40, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(default=0)  # seconds of conversation
    recording_url = models.URLField(max_length=1000, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The time entry the conversation was logged as (the agent's time on the ticket).
    time_entry_id = models.BigIntegerField(null=True, blank=True)
    # A missed incoming call: the desk calls back by then; done when someone did.
    callback_due_at = models.DateTimeField(null=True, blank=True)
    callback_done_at = models.DateTimeField(null=True, blank=True)
    callback_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "provider_call_id"],
                condition=~models.Q(provider_call_id=""),
                name="phone_call_once_per_line",
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "-started_at"], name="phone_call_ticket"),
            models.Index(fields=["callback_due_at"], name="phone_call_callback"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.caller_number} → {self.called_number}"

    @property
    def number(self) -> str:
        """The other party's number: the caller of an incoming call, else the called."""
        return self.caller_number if self.direction == Direction.IN else self.called_number

    @property
    def callback_open(self) -> bool:
        return self.callback_due_at is not None and self.callback_done_at is None


class CallEvent(models.Model):
    """An event a line's webhook took in: each (line, key) is handled once, however
    often the provider sends it; the raw form is kept for support (bounded)."""

    line = models.ForeignKey(PhoneLine, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=32)
    # What became of it: "ringing", "answered", "ended", "ignored", "test".
    outcome = models.CharField(max_length=16, blank=True)
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "key"], name="phone_event_once")]

    def __str__(self) -> str:
        return f"{self.line_id}:{self.key}"
