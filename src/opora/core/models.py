"""Infrastructure rows: the scheduler's lease, the last run of each periodic job, worker
heartbeats, and the audit trail of administrators' changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Lease(models.Model):
    """A named lock with an expiry: one holder at a time, taken over when it lapses."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%H:%M:%S}"


class PeriodicRun(models.Model):
    """When a periodic job was last enqueued, so a new scheduler carries on the rhythm."""

    name = models.CharField(max_length=200, primary_key=True)
    last_enqueued_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A job worker that is alive: each worker refreshes its row every few seconds.

    A RUNNING job whose worker's row has gone stale belongs to a dead worker; the
    scheduler's reaper puts it back in the queue (see opora.core.heartbeat).
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} seen {self.seen_at:%H:%M:%S}"


class AdminChange(models.Model):
    """One change to the desk's set-up (people, teams, SLA, channels, knowledge base,
    bot, security), by whom and when, with the fields' values before and after.

    Written by `core.audit.record_change` in the change's own transaction, so a change
    and its record stand or fall together. Codes, never translated labels."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area = models.CharField(max_length=40)  # people, service, channels, kb, bot, security…
    action = models.CharField(max_length=40)  # created, changed, deleted, deactivated…
    target_type = models.CharField(max_length=60)  # user, team, sla_policy, mailbox…
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    # {"field": [before, after]} for changes; the whole object for creations/deletions.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["area", "-at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.area}: {self.action} {self.target_type} {self.target_id}"
