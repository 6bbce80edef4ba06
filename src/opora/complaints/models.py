"""Complaints: the care a request gets once it is one (see `docs/complaints.md`).

A complaint is a ticket of type "complaint"; this app keeps what the ticket does not:
how it was recognised (and with what confidence), its deadline and reminders, the
acknowledgement, the escalation, and the resolution a team lead reports on (root
cause, whether it was justified, the agent it was about).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DEADLINE_DAYS = 10
DEFAULT_REMINDER_HOURS = [48, 24]
DEFAULT_REPEAT_THRESHOLD = 3
DEFAULT_REPEAT_DAYS = 90
DEFAULT_DETECTION_THRESHOLD = 0.5
# The root causes a desk starts with (key, English, Russian, about an agent); the
# migration seeds its own copy of this list.
DEFAULT_ROOT_CAUSES = [
    ("product_defect", "Product defect", "Дефект продукта", False),
    ("agent_behaviour", "Agent behaviour", "Поведение сотрудника", True),
    ("delivery", "Delivery", "Доставка", False),
    ("billing", "Billing", "Оплата и счета", False),
    ("policy", "Policy", "Правила компании", False),
    ("other", "Other", "Другое", False),
]


class ComplaintSettings(models.Model):
    """The desk's complaint rules: one row (pk 1), read through `selectors.settings`."""

    deadline_days = models.PositiveSmallIntegerField(
        _("deadline (calendar days)"), default=DEFAULT_DEADLINE_DAYS
    )
    # Hours before the deadline at which the assignee (or the lead) is reminded.
    reminder_hours = models.JSONField(_("reminders (hours before)"), default=list)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("complaints team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    repeat_threshold = models.PositiveSmallIntegerField(
        _("complaints that make a repeat complainer"), default=DEFAULT_REPEAT_THRESHOLD
    )
    repeat_days = models.PositiveSmallIntegerField(_("within days"), default=DEFAULT_REPEAT_DAYS)
    detection_threshold = models.FloatField(
        _("detection threshold"), default=DEFAULT_DETECTION_THRESHOLD
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "complaint settings"


class RootCause(models.Model):
    """A cause a solved complaint is put down to (the admin's list, ru and en names)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    # Complaints put down to this cause are about a person of the desk: team leads and
    # admins only see them.
    about_agent = models.BooleanField(_("about an agent"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.key

    def name(self, language: str) -> str:
        return self.name_ru if language == "ru" and self.name_ru else self.name_en


class Source(models.TextChoices):
    CUSTOMER = "customer", _("chosen by the customer")
    DETECTED = "detected", _("recognised in the text")
    AGENT = "agent", _("set by an agent")


class Complaint(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="complaint"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    confidence = models.FloatField(default=0.0)  # the detector's, on the first message
    signals = models.JSONField(default=list)  # [[kind, words], ...]
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.JSONField(default=list)  # the reminder hours already sent
    escalations = models.JSONField(default=list)  # "repeat", "vip"
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    justified = models.BooleanField(null=True, blank=True)
    about_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_about",
    )
    # Team leads and admins only (an agent's behaviour): kept with the row so that
    # every list excludes these tickets with one indexed condition.
    restricted = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The ticket was re-typed away from "complaint" (the detector was wrong).
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["opened_at"], name="complaint_opened"),
            models.Index(
                fields=["ticket"], name="complaint_restricted", condition=models.Q(restricted=True)
            ),
            models.Index(
                fields=["due_at"],
                name="complaint_open_due",
                condition=models.Q(resolved_at__isnull=True, dismissed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"complaint on ticket {self.ticket_id}"

    @property
    def active(self) -> bool:
        return self.dismissed_at is None


class OrganizationCare(models.Model):
    """Complaint care per organization, keyed by its id (kept here, not on
    accounts.Organization): a VIP organization's complaints are escalated at once."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    vip = models.BooleanField(_("VIP for complaints"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"complaint care of organization {self.organization_id}"
