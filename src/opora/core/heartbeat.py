"""Worker heartbeats and the reaper that re-queues the jobs of dead workers.

django-tasks-db marks a job RUNNING when a worker claims it and only changes that when
the job ends. A worker killed mid-job (SIGKILL, power loss, OOM) would leave the job
RUNNING forever. So every worker refreshes a WorkerHeartbeat row every
OPORA_WORKER_HEARTBEAT_SECONDS, and the scheduler (one holder at a time) runs
`reap_dead_workers`: a RUNNING job whose worker has not been seen for
OPORA_WORKER_DEAD_AFTER_SECONDS goes back to READY and another worker runs it.

Guarantee: a job that finished (SUCCESSFUL or FAILED) is never run again; a job whose
worker died is run again, so jobs run at least once under crashes. Jobs are written to
be safe to run twice (they take ids and re-read state), which makes that harmless.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opora.core.models import WorkerHeartbeat

logger = logging.getLogger("opora.heartbeat")

# Heartbeat rows of workers gone this long are deleted (they only serve the reaper).
FORGET_AFTER = timedelta(hours=1)


def beat(worker_id: str) -> None:
    """Record that `worker_id` is alive now."""
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": now},
        )


def forget(worker_id: str) -> None:
    """A worker that stops cleanly removes its row."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def run_heartbeat(worker_id: str, *, stop: threading.Event) -> None:
    """The heartbeat loop of one worker; returns when `stop` is set."""
    interval = settings.WORKER_HEARTBEAT_SECONDS
    while not stop.is_set():
        try:
            beat(worker_id)
        except Exception:  # a passing database error must not stop the beating
            logger.exception("heartbeat failed")
        finally:
            close_old_connections()
        stop.wait(interval)
    try:
        forget(worker_id)
    except Exception:
        logger.exception("could not remove heartbeat")
    finally:
        close_old_connections()


def start_heartbeat(worker_id: str) -> threading.Event:
    """Beat once now (so /readyz sees the worker at once), then keep beating in a thread."""
    beat(worker_id)
    stop = threading.Event()
    threading.Thread(
        target=run_heartbeat, args=(worker_id,), kwargs={"stop": stop}, daemon=True
    ).start()
    return stop


def live_workers() -> set[str]:
    horizon = timezone.now() - timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS)
    return set(
        WorkerHeartbeat.objects.filter(seen_at__gte=horizon).values_list("worker_id", flat=True)
    )


def reap_dead_workers() -> list[str]:
    """Put RUNNING jobs of dead workers back to READY; returns the re-queued job ids."""
    now = timezone.now()
    grace = timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS)
    alive = live_workers()
    requeued: list[str] = []
    running = DBTaskResult.objects.filter(status="RUNNING").values_list(
        "id", "worker_ids", "started_at"
    )
    for job_id, worker_ids, started_at in running:
        owner = worker_ids[-1] if worker_ids else None
        if owner in alive:
            continue
        # A job claimed a moment ago by a worker whose first beat is not written yet
        # is left alone: only jobs older than the grace period are reaped.
        if started_at is not None and now - started_at < grace:
            continue
        with transaction.atomic():
            # The status condition makes this safe against the job finishing meanwhile.
            if DBTaskResult.objects.filter(id=job_id, status="RUNNING").update(status="READY"):
                requeued.append(str(job_id))
                logger.warning("re-queued job %s of dead worker %s", job_id, owner)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    return requeued
