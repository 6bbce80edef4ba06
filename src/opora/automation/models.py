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


class RoutingStrategy(models.TextChoices):
    OFF = "off", _("Off (assigned by hand)")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    SKILLS = "skills", _("Skills, then least loaded")


class RoutingSettings(models.Model):
    """How a team's new tickets find an agent (see `automation/routing.py`)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="routing_settings")
    strategy = models.CharField(
        _("strategy"), max_length=16, choices=RoutingStrategy.choices, default=RoutingStrategy.OFF
    )
    # Most open tickets an agent holds per channel group; routing stops giving more.
    max_email = models.PositiveSmallIntegerField(_("e-mail and portal"), default=10)
    max_chat = models.PositiveSmallIntegerField(_("chat"), default=3)
    max_messengers = models.PositiveSmallIntegerField(_("messengers"), default=5)
    # Outside the calendar's hours tickets wait in the queue (no calendar: the default one).
    respect_hours = models.BooleanField(_("only in business hours"), default=False)
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("calendar"),
    )
    # Only agents of the ticket's support line (or a higher one) get it.
    respect_line = models.BooleanField(_("only agents of the ticket's line"), default=True)
    # An assignee offline this long with open work loses it to the queue (None: never).
    reassign_after = models.PositiveIntegerField(
        _("reassign after (minutes offline)"), null=True, blank=True
    )
    # Round robin: the agent who got the team's last ticket.
    last_agent_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"routing of {self.team_id}: {self.strategy}"


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
    IDEA_CREATED = "idea_created", _("Idea created")
    IDEA_STATUS = "idea_status", _("Idea status changed")


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
