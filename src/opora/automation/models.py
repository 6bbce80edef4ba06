"""Automation: the answer bot's settings (per team) and its conversations."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team


class BotSettings(models.Model):
    """The answer bot for one team, or (team empty) for requests not yet in a team."""

    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="bot_settings"
    )
    enabled = models.BooleanField(_("answer new requests"), default=False)
    # Smallest share of the request's words an article must cover to be offered (0..1).
    threshold = models.FloatField(_("confidence threshold"), default=0.5)
    # Languages of requests it answers (empty: every language).
    languages = models.JSONField(default=list, blank=True)
    # Ids of the only articles it may offer (empty: every published public article).
    articles = models.JSONField(default=list, blank=True)
    # Requests it leaves to a person at once (docs/kpi.md): complaints, urgent or angry
    # messages, customers of VIP organizations.
    skip_complaints = models.BooleanField(_("leave complaints to people"), default=True)
    skip_urgent = models.BooleanField(_("leave urgent and angry requests to people"), default=True)
    skip_vip = models.BooleanField(_("leave VIP organizations to people"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(team__isnull=True),
                name="bot_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"bot for {self.team_id or 'unassigned'}: {self.enabled}"


class BotState(models.TextChoices):
    AWAITING = "awaiting", _("Waiting for the customer")
    SOLVED = "solved", _("Solved by the bot")
    HANDED_OFF = "handed_off", _("Handed to a person")
    NO_MATCH = "no_match", _("No article confident enough")
    SKIPPED = "skipped", _("Left to a person")


class BotConversation(models.Model):
    """The bot's one attempt on a ticket: what it offered and how it ended."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="bot_conversation"
    )
    state = models.CharField(max_length=16, choices=BotState.choices)
    articles = models.JSONField(default=list, blank=True)  # offered article ids
    confidence = models.FloatField(default=0)
    # Why the bot left it to a person (state "skipped"): complaint, urgent, angry, vip.
    reason = models.CharField(max_length=16, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="bot_conv_state")]

    def __str__(self) -> str:
        return f"bot on ticket {self.ticket_id}: {self.state}"


class CoachRule(models.Model):
    """An admin's version of one reply-coach rule (defaults in `automation/coach.py`)."""

    key = models.CharField(max_length=32, unique=True)
    enabled = models.BooleanField(default=True)
    # {"en": [...], "ru": [...]}: phrases it looks for, and those that lift its warning.
    phrases = models.JSONField(default=dict, blank=True)
    unless = models.JSONField(default=dict, blank=True)
    fix = models.JSONField(default=dict, blank=True)  # {"en": "Hello, {name}!", ...}
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"coach rule {self.key}: {self.enabled}"


class CoachCheck(models.Model):
    """The coach's verdict on one public agent reply, taken when it was sent."""

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="coach_check"
    )
    agent = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="coach_checks"
    )
    language = models.CharField(max_length=8)
    passed = models.BooleanField()
    problems = models.JSONField(default=list, blank=True)  # keys of the rules it missed
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at", "agent"], name="coach_check_period")]

    def __str__(self) -> str:
        return f"coach on message {self.message_id}: {self.passed}"
