"""Monitors, their results (raw and rolled up), maintenance windows and incidents.

Results are kept compact on purpose (monitor, moment, ok, milliseconds, code): a desk
with a thousand monitors at 30 s writes ~2.9 million rows a day. Raw rows live for
`MONITORING_RAW_DAYS`; hourly and daily rollups carry the 7-day and 90-day charts and
the monthly uptime of the SLA reports.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team
from opora.tickets.models import Ticket

MIN_INTERVAL_SECONDS = 20
MAX_INTERVAL_SECONDS = 24 * 3600


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Kind(models.TextChoices):
    HTTP = "http", _("HTTP(S)")
    TLS = "tls", _("TLS certificate")
    TCP = "tcp", _("TCP port")
    DNS = "dns", _("DNS resolution")
    PING = "ping", _("Ping")
    HEARTBEAT = "heartbeat", _("Heartbeat (push)")


class State(models.TextChoices):
    UNKNOWN = "unknown", _("Not checked yet")
    UP = "up", _("Up")
    DOWN = "down", _("Down")


class Monitor(models.Model):
    """One thing the desk watches, with its schedule and its current state."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # http: the URL; tls, tcp: host:port; dns, ping: a host name; heartbeat: empty.
    target = models.CharField(_("target"), max_length=2000, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    active = models.BooleanField(_("active"), default=True)
    interval_seconds = models.PositiveIntegerField(_("interval, seconds"), default=60)
    timeout_seconds = models.PositiveIntegerField(_("timeout, seconds"), default=10)
    # Consecutive failures before the monitor is down, successes before it is up again.
    down_after = models.PositiveSmallIntegerField(_("failures before down"), default=3)
    up_after = models.PositiveSmallIntegerField(_("successes before up"), default=1)
    # http
    expected_status = models.CharField(max_length=60, default="200-399")
    keyword = models.CharField(max_length=200, blank=True)
    json_path = models.CharField(max_length=200, blank=True)
    json_value = models.CharField(max_length=200, blank=True)
    max_response_ms = models.PositiveIntegerField(null=True, blank=True)
    verify_tls = models.BooleanField(default=True)
    # tls
    cert_warn_days = models.PositiveSmallIntegerField(default=14)
    # dns
    dns_expected = models.CharField(max_length=200, blank=True)
    # heartbeat: the secret part of its push address
    push_token = models.CharField(max_length=64, unique=True, default=new_token)
    last_push_at = models.DateTimeField(null=True, blank=True)

    # The schedule: the runner claims monitors whose next_due_at has come.
    next_due_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The state machine (monitoring/states.py)
    state = models.CharField(max_length=16, choices=State.choices, default=State.UNKNOWN)
    state_since = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_ms = models.PositiveIntegerField(null=True, blank=True)
    last_code = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    cert_expires_at = models.DateTimeField(null=True, blank=True)

    # The public status page (/status/): only monitors marked public appear, under
    # their public name (the internal one may say too much), grouped by component group.
    public = models.BooleanField(_("on the status page"), default=False)
    public_name = models.CharField(_("public name"), max_length=120, blank=True)
    public_group = models.CharField(_("component group"), max_length=120, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str:
        return self.public_name or self.name


class CheckResult(models.Model):
    """One check: compact, kept `MONITORING_RAW_DAYS`."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    at = models.DateTimeField()
    ok = models.BooleanField()
    ms = models.PositiveIntegerField(null=True)
    code = models.IntegerField(null=True)  # the HTTP status, where there is one

    class Meta:
        indexes = [models.Index(fields=["monitor", "at"], name="monitoring_result_at")]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else 'failed'}"


class Period(models.TextChoices):
    HOUR = "hour", _("Hour")
    DAY = "day", _("Day")


class Rollup(models.Model):
    """The checks of one monitor in one hour or day, summed."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="rollups")
    period = models.CharField(max_length=8, choices=Period.choices)
    start = models.DateTimeField()
    checks = models.PositiveIntegerField(default=0)
    ok = models.PositiveIntegerField(default=0)
    ms_sum = models.BigIntegerField(default=0)
    ms_count = models.PositiveIntegerField(default=0)
    ms_max = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["monitor", "period", "start"], name="monitoring_rollup_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.period} {self.start:%Y-%m-%d %H:%M}"


class MaintenanceWindow(models.Model):
    """While a window is on, checks run and are stored but open no incident."""

    monitor = models.ForeignKey(
        Monitor, on_delete=models.CASCADE, related_name="maintenance", null=True, blank=True
    )  # none: every monitor
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["ends_at"], name="monitoring_window_end")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"


class Source(models.TextChoices):
    MONITOR = "monitor", _("Monitor")
    ALERTMANAGER = "alertmanager", _("Alertmanager")
    WEBHOOK = "webhook", _("Webhook")


class Incident(models.Model):
    """Something is down: a monitor, or an alert from the company's own monitoring.

    One open incident per key (a monitor, an alert's fingerprint); a key that goes down
    again within the cool-down after it was resolved reopens the same incident, so a
    flapping site makes one incident and one problem ticket, not fifty."""

    key = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=Source.choices)
    monitor = models.ForeignKey(
        Monitor, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True)
    title = models.CharField(max_length=300)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()  # the first failure (or the alert's startsAt)
    detected_at = models.DateTimeField()  # when the desk opened the incident
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    downs = models.PositiveIntegerField(default=1)  # times it went down while open
    evidence = models.JSONField(default=dict)
    # What customers see on the status page; empty: "<public name> is unavailable".
    public_title = models.CharField(max_length=300, blank=True)
    # Extra words that customer tickets about this incident contain (comma-separated),
    # besides the monitor's names and host: what the link suggestions look for.
    keywords = models.CharField(max_length=300, blank=True)
    # The resolution notice has gone to the linked customers (once per resolution).
    customers_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(resolved_at__isnull=True), name="monitoring_open_once"
            )
        ]
        indexes = [models.Index(fields=["detected_at"], name="monitoring_incident_at")]

    def __str__(self) -> str:
        return self.title


class UpdateStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class IncidentUpdate(models.Model):
    """A note on an incident's progress: public ones go on the status page and to
    its e-mail subscribers, the others stay with the desk."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=UpdateStatus.choices)
    body = models.TextField()
    public = models.BooleanField(default=True)
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.status}"


class StatusSubscriber(models.Model):
    """Someone who gets the status page's incident updates by e-mail: counted only
    once the address is confirmed (double opt-in); the unsubscribe link deletes it."""

    email = models.EmailField(unique=True)
    language = models.CharField(max_length=8, default="en")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email
