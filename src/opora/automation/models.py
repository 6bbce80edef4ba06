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


class BotConversation(models.Model):
    """The bot's one attempt on a ticket: what it offered and how it ended."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="bot_conversation"
    )
    state = models.CharField(max_length=16, choices=BotState.choices)
    articles = models.JSONField(default=list, blank=True)  # offered article ids
    confidence = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="bot_conv_state")]

    def __str__(self) -> str:
        return f"bot on ticket {self.ticket_id}: {self.state}"


class MacroOwner(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    TEAM = "team", _("Team")
    SHARED = "shared", _("Shared")


class Macro(models.Model):
    """A canned reply with the ticket changes that go with it, applied from the composer.

    Who owns it decides who sees and edits it: a personal macro its author, a team's
    macro the team (edited by its leads), a shared one everyone (edited by admins).
    """

    owner_kind = models.CharField(_("owner"), max_length=16, choices=MacroOwner.choices)
    owner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    title = models.CharField(_("title"), max_length=200)
    body_en = models.TextField(_("reply in English"), blank=True)
    body_ru = models.TextField(_("reply in Russian"), blank=True)
    # {"status", "priority", "type", "team", "line", "add_tags", "remove_tags",
    # "assignee" ("me" or a user id)}: only the keys present are applied.
    actions = models.JSONField(default=dict, blank=True)
    usage_count = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["owner_kind", "team"], name="macro_owner_team")]

    def __str__(self) -> str:
        return self.title
