"""Infrastructure rows: the scheduler's lease and the last run of each periodic job."""

from __future__ import annotations

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
