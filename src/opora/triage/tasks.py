"""Background jobs of triage: a suggestion per new ticket, and the nightly training."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.core.scheduler import register_periodic
from opora.triage import suggest, training


@task()
def suggest_ticket_task(ticket_id: int) -> None:
    """Label a new ticket (idempotent: one suggestion per ticket)."""
    suggest.suggest_ticket(ticket_id)


@task()
def train_triage_task() -> None:
    """Fit a new version of every target's model from the solved tickets."""
    training.train()


register_periodic(train_triage_task, every=timedelta(days=1), name="triage.train")
