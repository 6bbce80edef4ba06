"""The core of the help desk: tickets, their messages and attachments, and the audit trail.

Nothing here writes on its own: every change goes through `tickets.actions`, which
also records an Event for it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Language, Organization, SupportLine, Team


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# Which status may follow which. A closed ticket is final: a customer writing again
# gets a follow-up ticket. "new" is only ever the first status.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset({"open", "pending", "on_hold", "solved"}),
    TicketStatus.OPEN: frozenset({"pending", "on_hold", "solved"}),
    TicketStatus.PENDING: frozenset({"open", "on_hold", "solved"}),
    TicketStatus.ON_HOLD: frozenset({"open", "pending", "solved"}),
    TicketStatus.SOLVED: frozenset({"open", "closed"}),
    TicketStatus.CLOSED: frozenset(),
}
# Statuses that count as "not yet done" for queues and backlog.
ACTIVE_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.PENDING,
    TicketStatus.ON_HOLD,
)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")

    @classmethod
    def by_name(cls, name: str) -> Priority:
        return cls[name.upper()]

    @property
    def code(self) -> str:
        return self.name.lower()


class TicketType(models.TextChoices):
    QUESTION = "question", _("Question")
    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


# Types a customer may choose; incidents and problems are the agents' classification.
CUSTOMER_TYPES = frozenset({"question", "problem", "complaint", "suggestion"})


class Channel(models.TextChoices):
    WEB = "web", _("Web portal")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    TELEGRAM = "telegram", _("Telegram")
    VK = "vk", _("VK")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    number = models.PositiveBigIntegerField(_("number"), unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    type = models.CharField(
        _("type"), max_length=16, choices=TicketType.choices, default=TicketType.QUESTION
    )
    line = models.PositiveSmallIntegerField(
        _("support line"), choices=SupportLine.choices, default=SupportLine.FIRST
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    tags = models.ManyToManyField(Tag, related_name="tickets", blank=True)
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="followed_tickets", blank=True
    )
    problem = models.ForeignKey(
        "self",
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # Values of the admin-defined ticket fields (crm.FieldDefinition, target "ticket"),
    # by key. A JSON column rather than a value table: the lists and the API read it
    # with the row (no join, no query per ticket), and reports filter on a key.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_upd"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee"),
            models.Index(fields=["team", "status", "-updated_at"], name="ticket_team"),
            # A team's ticket ids without reading the tickets: reports join a period's
            # ratings with them (an index-only scan instead of every row of the team).
            models.Index(fields=["team", "id"], name="ticket_team_id"),
            models.Index(fields=["requester", "-updated_at"], name="ticket_requester"),
            models.Index(fields=["organization", "-updated_at"], name="ticket_org"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            # Lists of one agent's or one team's tickets, newest change first, whatever
            # their status (the API's assignee and team filters, "My open tickets"):
            # the index hands over the first page instead of sorting all of them.
            models.Index(fields=["assignee", "-updated_at", "-id"], name="ticket_assignee_upd"),
            models.Index(fields=["team", "-updated_at", "-id"], name="ticket_team_upd"),
            # The open queue by priority: only the open tickets, in the page's order.
            models.Index(
                fields=["-priority", "-updated_at", "-id"],
                name="ticket_open_priority",
                condition=models.Q(status__in=["new", "open", "pending", "on_hold"]),
            ),
            models.Index(fields=["-created_at", "-id"], name="ticket_created"),
            # Reports pick tickets by when they were answered and solved.
            models.Index(fields=["solved_at"], name="ticket_solved"),
            models.Index(fields=["first_response_at"], name="ticket_first_response"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def attachment_path(instance: Attachment, filename: str) -> str:
    # Content-addressed folders keep directories small; the name stays for download.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256[2:4]}/{instance.sha256}"


class Message(models.Model):
    """One entry of a ticket's conversation: a public reply or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    internal = models.BooleanField(_("internal note"), default=False)
    # Written by the desk's automation (the answer bot, a "problem solved" notice), not
    # by a person: never a first response, never counted as an agent's reply (docs/kpi.md).
    automated = models.BooleanField(_("automated"), default=False)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    body = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # Message-ID of an e-mail, id of a chat message: used to thread and to deduplicate.
    external_id = models.CharField(max_length=998, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="message_ticket")]

    def __str__(self) -> str:
        kind = "note" if self.internal else "reply"
        return f"{kind} on ticket {self.ticket_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    # The MIME Content-ID (without <>) of an e-mail part: the message's HTML shows it
    # where it says <img src="cid:...">.
    content_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status_changed", _("Status changed")
    PRIORITY = "priority_changed", _("Priority changed")
    TYPE = "type_changed", _("Type changed")
    ASSIGNED = "assigned", _("Assignee changed")
    TEAM = "team_changed", _("Team changed")
    LINE = "line_changed", _("Support line changed")
    TAGS = "tags_changed", _("Tags changed")
    REPLY = "reply_added", _("Public reply")
    NOTE = "note_added", _("Internal note")
    MERGED_INTO = "merged_into", _("Merged into another ticket")
    MERGED_FROM = "merged_from", _("Another ticket merged in")
    PROBLEM_LINKED = "problem_linked", _("Linked to a problem")
    PROBLEM_UNLINKED = "problem_unlinked", _("Unlinked from a problem")
    FOLLOWERS_ADDED = "followers_added", _("Followers added")
    FOLLOWERS_REMOVED = "followers_removed", _("Followers removed")
    MAIL_IGNORED = "mail_ignored", _("Auto-reply or bounce received")
    MAIL_FAILED = "mail_failed", _("E-mail could not be delivered")
    DELIVERY_FAILED = "delivery_failed", _("Reply could not be delivered")
    # SLA, time tracking, satisfaction and development hand-off (sla, feedback apps).
    SLA_AT_RISK = "sla_at_risk", _("SLA at risk")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    TIME_LOGGED = "time_logged", _("Time logged")
    RATED = "rated", _("Rated by the customer")
    DEV_HANDOFF = "dev_handoff", _("Handed to development")
    DEV_STATUS = "dev_status", _("Development status")
    # The answer bot (automation app) gave the request to a person.
    BOT_HANDOFF = "bot_handoff", _("Handed from the answer bot to a person")
    # Two customer accounts were merged (accounts app): the ticket changed requester.
    REQUESTER_MERGED = "requester_merged", _("Requester merged from another customer")
    # Remote-assistance sessions (remote app): invited, started, ended.
    REMOTE_INVITED = "remote_invited", _("Invited to a remote session")
    REMOTE_STARTED = "remote_started", _("Remote session started")
    REMOTE_ENDED = "remote_ended", _("Remote session ended")
    # Values of the admin-defined ticket fields changed (crm app).
    FIELDS_CHANGED = "fields_changed", _("Custom fields changed")


class AppendOnly(Exception):
    pass


class Event(models.Model):
    """Append-only audit entry: who changed what on a ticket, old → new, when.

    Values are stored as codes (status "pending", priority "high", user ids), never
    translated labels, so reports and the timeline can render them in any language.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    old = models.CharField(max_length=255, blank=True)
    new = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket"),
            models.Index(fields=["kind", "created_at"], name="event_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.old!r} -> {self.new!r}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The audit trail is evidence: an event is written once and never edited.
        if self.pk is not None and not self._state.adding:
            raise AppendOnly("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("events are append-only")


class TimeEntry(models.Model):
    """Work time an agent spent on a ticket: a manual entry, or a timer (running while
    stopped_at is empty; minutes are set when it stops)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    minutes = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    # The agent's cost rate when the work was logged, so a later raise does not
    # rewrite the cost of past tickets.
    rate_per_hour = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="timeentry_ticket"),
            models.Index(fields=["agent", "created_at"], name="timeentry_agent"),
        ]
        constraints = [
            # At most one running timer per agent and ticket.
            models.UniqueConstraint(
                fields=["ticket", "agent"],
                condition=models.Q(started_at__isnull=False, stopped_at__isnull=True),
                name="timeentry_one_running",
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on ticket {self.ticket_id}"


class TicketNumberSequence(models.Model):
    """The counter behind ticket numbers on SQLite (PostgreSQL uses a real sequence)."""

    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)
