"""Periodic jobs: one scheduler enqueues them, even when several processes run one.

Each process that runs a scheduler loop tries to hold the database lease "scheduler";
only the holder enqueues. If it dies, the lease lapses and another takes over, carrying
on from the last enqueue times stored in PeriodicRun.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from opora.core.heartbeat import reap_dead_workers
from opora.core.models import Lease, PeriodicRun

logger = logging.getLogger("opora.scheduler")
LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=30)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    task: Any  # a django_tasks Task taking no arguments


PERIODIC: dict[str, PeriodicJob] = {}


def register_periodic(task: Any, *, every: timedelta, name: str | None = None) -> Any:
    """Declare that `task` (no arguments) runs every `every`; call at import of tasks.py."""
    job_name = name or f"{task.func.__module__}.{task.func.__name__}"
    PERIODIC[job_name] = PeriodicJob(job_name, every, task)
    return task


def acquire_lease(name: str, holder: str, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the lease; True when `holder` holds it until now + ttl."""
    now = timezone.now()
    renewed = Lease.objects.filter(Q(holder=holder) | Q(expires_at__lt=now), name=name).update(
        holder=holder, expires_at=now + ttl
    )
    if renewed:
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=now + ttl)
    except IntegrityError:
        return False  # someone else holds it
    return True


def release_lease(name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).delete()


def enqueue_due_jobs() -> list[str]:
    """Enqueue every periodic job whose interval has passed; returns their names."""
    now = timezone.now()
    last = dict(PeriodicRun.objects.values_list("name", "last_enqueued_at"))
    due = []
    for job in PERIODIC.values():
        previous = last.get(job.name)
        if previous is not None and now - previous < job.every:
            continue
        with transaction.atomic():
            PeriodicRun.objects.update_or_create(name=job.name, defaults={"last_enqueued_at": now})
            job.task.enqueue()
        due.append(job.name)
    return due


def run_scheduler(holder: str, *, stop: threading.Event, tick: float = 1.0) -> None:
    """The scheduler loop; returns when `stop` is set."""
    while not stop.is_set():
        close_old_connections()
        try:
            if acquire_lease(
                LEASE_NAME, holder, timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS)
            ):
                for name in enqueue_due_jobs():
                    logger.debug("enqueued periodic job %s", name)
                # The lease holder also re-queues the jobs of workers that died mid-job.
                reap_dead_workers()
        except Exception:  # keep scheduling through a passing database error
            logger.exception("scheduler tick failed")
        stop.wait(tick)
    try:
        release_lease(LEASE_NAME, holder)
    finally:
        close_old_connections()
