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


# Triggers, time automations and outbound webhooks (automation/triggers.py,
# automation/automations.py, automation/webhooks.py).


class TriggerEvent(models.TextChoices):
    CREATED = "created", _("Ticket created")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    AGENT_REPLIED = "agent_replied", _("Agent replied")
    STATUS_CHANGED = "status_changed", _("Status changed")
    SLA_AT_RISK = "sla_at_risk", _("SLA at risk")


class Trigger(models.Model):
    """When `event` happens and the conditions hold, apply the actions (in `position` order).

    `conditions`: [{"field", "operator", "value"}]; `match`: "all" or "any".
    `actions`: [{"type", "value"}]; see automation/triggers.py for the vocabulary.
    """

    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)
    event = models.CharField(_("event"), max_length=24, choices=TriggerEvent.choices)
    match = models.CharField(max_length=3, default="all")
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TriggerRun(models.Model):
    """One firing of a trigger; unique per (trigger, event) so it fires at most once."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=24)
    event_key = models.CharField(max_length=80)
    at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=500, blank=True)  # "applied" or the refusal

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trigger", "event_key"], name="trigger_once_per_event")
        ]
        indexes = [models.Index(fields=["trigger", "at"], name="trigger_run_at")]

    def __str__(self) -> str:
        return f"{self.trigger_id} on {self.ticket_id}: {self.result}"


class AutomationAction(models.TextChoices):
    REMIND = "remind", _("Remind the customer")
    SOLVE = "solve", _("Solve")
    CLOSE = "close", _("Close")


class Automation(models.Model):
    """A rule: a ticket in `status` for `hours` (business or calendar) hours → `action`."""

    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(_("status"), max_length=16)
    hours = models.PositiveIntegerField(_("hours"))
    business_hours = models.BooleanField(_("business hours"), default=False)
    action = models.CharField(_("action"), max_length=16, choices=AutomationAction.choices)
    message = models.TextField(_("message"), blank=True)  # the reminder's text
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class AutomationRun(models.Model):
    """An automation acted on a ticket once for the period the ticket entered its status."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["automation", "ticket", "period_start"], name="automation_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.automation_id} on {self.ticket_id}: {self.result}"


class WebhookEvent(models.TextChoices):
    CREATED = "created", _("Ticket created")
    UPDATED = "updated", _("Ticket updated")
    REPLIED = "replied", _("Reply added")
    SOLVED = "solved", _("Ticket solved")


class Webhook(models.Model):
    """An outside endpoint that receives signed JSON about the events it chose."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(default=list, blank=True)
    secret = models.CharField(_("secret"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to a webhook, with what the endpoint answered."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=24)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.CharField(max_length=500, blank=True)  # the answer's first bytes
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["webhook", "created_at"], name="webhook_delivery_at")]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.event}: {self.state}"
