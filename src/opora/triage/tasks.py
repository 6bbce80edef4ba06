"""Background jobs of triage: a suggestion per new ticket, and training (asked for by
an admin, or nightly)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.core import clock
from opora.core.scheduler import register_periodic
from opora.triage import suggest, training
from opora.triage.models import TrainingRun


@task()
def suggest_ticket_task(ticket_id: int) -> None:
    """Label a new ticket (idempotent: one suggestion per ticket)."""
    suggest.suggest_ticket(ticket_id)


@task()
def train_triage_task(run_id: int | None = None) -> None:
    """Fit a new version of every target's model from the solved tickets: the queued run
    `run_id` ("Train now"), or, nightly, a run of its own unless one is already pending."""
    if run_id is None:
        if training.pending_run() is not None:
            return
        run_id = TrainingRun.objects.create(requested_at=clock.now()).pk
    training.perform(run_id)


register_periodic(train_triage_task, every=timedelta(days=1), name="triage.train")
