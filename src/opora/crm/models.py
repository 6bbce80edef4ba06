"""Field definitions, ticket forms, notes, contracts and import jobs.

The values of the fields are not here: they live in a JSON column of the record they
describe (`User.custom_fields`, `Organization.custom_fields`, `Ticket.custom_fields`),
so a list of tickets or customers reads them with its rows; this app defines and
validates them (crm/fields.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Organization
from opora.sla.models import BusinessCalendar, SlaPolicy
from opora.tickets.models import TicketType


class Target(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    ORGANIZATION = "organization", _("Organization")
    TICKET = "ticket", _("Ticket")


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Dropdown")


class FieldDefinition(models.Model):
    """One admin-defined field of customers, organizations or tickets."""

    target = models.CharField(_("for"), max_length=16, choices=Target.choices)
    # The name the API and the CSV columns use: lower-case letters, digits, "_".
    key = models.SlugField(_("key"), max_length=40)
    label_en = models.CharField(_("label (English)"), max_length=120)
    label_ru = models.CharField(_("label (Russian)"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=FieldKind.choices)
    # Dropdowns: [{"value": "gold", "en": "Gold", "ru": "Золото"}, ...]
    options = models.JSONField(_("options"), default=list, blank=True)
    # Required on every record of the target (ticket forms may require a field too).
    required = models.BooleanField(_("required"), default=False)
    min_value = models.FloatField(_("smallest number"), null=True, blank=True)
    max_value = models.FloatField(_("largest number"), null=True, blank=True)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["target", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "key"], name="crm_field_target_key")
        ]

    def __str__(self) -> str:
        return self.key

    def label(self, language: str) -> str:
        return self.label_ru if language == "ru" and self.label_ru else self.label_en

    def option_label(self, value: str, language: str) -> str:
        for option in self.options:
            if option.get("value") == value:
                return str(option.get("ru") if language == "ru" else option.get("en")) or value
        return value


class TicketForm(models.Model):
    """What a new ticket of one type asks for besides subject and text."""

    ticket_type = models.CharField(
        _("ticket type"), max_length=16, choices=TicketType.choices, unique=True
    )
    is_active = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket_type"]

    def __str__(self) -> str:
        return self.ticket_type


class TicketFormField(models.Model):
    form = models.ForeignKey(TicketForm, on_delete=models.CASCADE, related_name="items")
    definition = models.ForeignKey(
        FieldDefinition, on_delete=models.CASCADE, related_name="form_items"
    )
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "definition"], name="crm_form_field_once")
        ]

    def __str__(self) -> str:
        return f"{self.form_id}:{self.definition_id}"


class Note(models.Model):
    """An agent's internal note on a customer or an organization (never shown to them)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="crm_notes",
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="crm_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="crm_note_customer"),
            models.Index(fields=["organization", "-created_at"], name="crm_note_org"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer__isnull=True) ^ models.Q(organization__isnull=True),
                name="crm_note_one_subject",
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]


class Contract(models.Model):
    """What an organization (or a customer without one) is entitled to."""

    organization = models.OneToOneField(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="contract"
    )
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contract",
    )
    plan = models.CharField(_("plan"), max_length=120)
    support_hours = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("support hours"),
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("SLA policy"),
    )
    post_warranty = models.BooleanField(_("post-warranty service"), default=False)
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer__isnull=True) ^ models.Q(organization__isnull=True),
                name="crm_contract_one_holder",
            )
        ]

    def __str__(self) -> str:
        return self.plan


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    ORGANIZATIONS = "organizations", _("Organizations")


class ImportState(models.TextChoices):
    PREVIEW = "preview", _("Preview")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """An uploaded CSV file: read and checked at upload (the preview), imported by a job."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    state = models.CharField(max_length=16, choices=ImportState.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=1, default=",")
    header = models.JSONField(default=list)
    # Column index -> what it fills ("email", "name", "organization", "field:<key>"...).
    mapping = models.JSONField(default=dict)
    rows = models.JSONField(default=list)  # the data rows as read, without the header
    # [{"line": 7, "reason": "...", "code": "..."}]: every bad row, with its line.
    problems = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename
