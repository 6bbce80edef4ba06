"""Business-hours calendars, SLA policies and each ticket's SLA clock.

A ticket's due dates live on the Ticket (first_response_due_at, resolution_due_at) so
queues can sort by them; the rest of the clock (policy, pauses, business durations,
time per support line, escalation hops) is one TicketSla row per ticket, which the
reports read instead of replaying events.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Organization


def default_week() -> dict[str, list[list[str]]]:
    """Monday to Friday, 09:00-18:00 (keys are ISO weekdays 1..7)."""
    return {str(day): [["09:00", "18:00"]] for day in range(1, 6)}


class BusinessCalendar(models.Model):
    """When the desk works: a time zone, weekly hours and dated exceptions."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    # {"1": [["09:00", "13:00"], ["14:00", "18:00"]], ..., "7": []}: ISO weekday -> spans.
    week = models.JSONField(_("weekly hours"), default=default_week)
    # A calendar open around the clock ignores `week` and holidays (24/7 support).
    always_open = models.BooleanField(_("24/7"), default=False)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business-hours calendar")
        verbose_name_plural = _("business-hours calendars")

    def __str__(self) -> str:
        return self.name


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKING = "working", _("Working day (transferred)")
    SHORT = "short", _("Shortened working day")


class CalendarDay(models.Model):
    """An exception to the weekly hours: a holiday, a transferred working day, a short day."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="days", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class SlaPolicy(models.Model):
    """Targets for tickets that match it; the first matching policy by position wins."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=100)
    # Empty criteria match anything.
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organization"),
    )
    type = models.CharField(_("type"), max_length=16, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="+", verbose_name=_("calendar")
    )
    # Targets in business minutes; None: no target of that kind.
    first_response_minutes = models.PositiveIntegerField(
        _("first response, minutes"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response, minutes"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution, minutes"), null=True, blank=True
    )
    # The clock always pauses while the customer owes an answer (pending); on hold
    # (waiting on a third party) pauses it only when the policy says so.
    pause_on_hold = models.BooleanField(_("pause while on hold"), default=False)
    is_active = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SlaState(models.TextChoices):
    OK = "ok", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")


class TicketSla(models.Model):
    """One ticket's SLA clock and its measured durations (written by sla.clock only)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The policy came from the requester's (or their organization's) contract when the
    # ticket opened: it stays the ticket's policy while active, whatever the matching
    # criteria of other policies say later (sla/clock.py).
    by_contract = models.BooleanField(default=False)
    # The support hours of that contract, when it names them: the clock runs on them
    # instead of the policy's calendar, for the ticket's whole life.
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=SlaState.choices, default=SlaState.OK)
    paused = models.BooleanField(default=False)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    # The nearest unmet due moment and the moment it turns "at risk"; the periodic
    # check looks only at these two indexed columns.
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    # Business seconds (pauses excluded) from creation to the first public agent reply,
    # and to the (last) solve; stored when they happen, so reports are plain sums.
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Counted when the ticket is solved: public agent replies and reopenings (for FCR).
    agent_replies = models.PositiveSmallIntegerField(default=0)
    reopens = models.PositiveSmallIntegerField(default=0)
    first_response_breached = models.BooleanField(null=True)
    resolution_breached = models.BooleanField(null=True)
    # When the at-risk and breach notices went out (once each).
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    # Support level now ("1", "2", "3" or "lead"), since when, and wall-clock seconds
    # spent on each level so far.
    level = models.CharField(max_length=8, default="1")
    level_since = models.DateTimeField(null=True, blank=True, default=timezone.now)
    line1_seconds = models.PositiveIntegerField(default=0)
    line2_seconds = models.PositiveIntegerField(default=0)
    line3_seconds = models.PositiveIntegerField(default=0)
    lead_seconds = models.PositiveIntegerField(default=0)
    escalations = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    # A copy of the ticket's report dimensions and milestones, kept by the clock, so a
    # month of KPIs is an index range scan of this one narrow table (no join with
    # tickets over a million rows). solved_at is set only while the ticket is solved
    # or closed; logged time is the ticket's total, at the rates of logging time.
    created_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    assignee = models.ForeignKey(
        "accounts.User",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    channel = models.CharField(max_length=16, blank=True)
    priority = models.PositiveSmallIntegerField(default=2)
    type = models.CharField(max_length=16, blank=True)
    logged_minutes = models.PositiveIntegerField(default=0)
    logged_cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("ticket SLA clock")
        verbose_name_plural = _("ticket SLA clocks")
        indexes = [
            models.Index(fields=["created_at"], name="ticketsla_created"),
            models.Index(fields=["first_response_at"], name="ticketsla_first_response"),
            models.Index(fields=["solved_at"], name="ticketsla_solved"),
            models.Index(fields=["state"], name="ticketsla_state"),
            models.Index(fields=["due_at"], name="ticketsla_due"),
            models.Index(fields=["warn_at"], name="ticketsla_warn"),
        ]

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}: {self.state}"


class EscalationRule(models.Model):
    """Move matching tickets up to a level automatically, with the rule's reason."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=100)
    # Criteria; empty ones match anything. `on_risk` rules fire only when the SLA
    # clock of the ticket is at risk or breached.
    on_risk = models.BooleanField(_("only when the SLA is at risk or breached"), default=False)
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    type = models.CharField(_("type"), max_length=16, blank=True)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organization"),
    )
    to_level = models.CharField(_("escalate to level"), max_length=8)  # "2", "3" or "lead"
    reason = models.CharField(_("reason"), max_length=255)
    is_active = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self) -> str:
        return self.name


class HandoffStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class DevHandoff(models.Model):
    """A problem handed to the development team through the webhook."""

    problem = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="dev_handoff"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery = models.CharField(
        _("delivery"), max_length=16, choices=HandoffStatus.choices, default=HandoffStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # What development reports back through the signed callback.
    dev_status = models.CharField(max_length=32, blank=True)
    dev_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hand-off to development")
        verbose_name_plural = _("hand-offs to development")

    def __str__(self) -> str:
        return f"hand-off of ticket {self.problem_id}: {self.delivery}"


class SupportLineName(models.Model):
    """What the desk calls a support level ("1st line", "Experts"…), in both languages.

    One row per level that has a name of its own; a level without a row (or with an
    empty name) is shown with the built-in label (`sla.lines`)."""

    level = models.CharField(_("level"), max_length=8, unique=True)  # "1", "2", "3", "lead"
    name_en = models.CharField(_("name in English"), max_length=60, blank=True)
    name_ru = models.CharField(_("name in Russian"), max_length=60, blank=True)

    class Meta:
        ordering = ["level"]
        verbose_name = _("support line name")
        verbose_name_plural = _("support line names")

    def __str__(self) -> str:
        return self.name_en or self.level
