"""Background jobs of automation."""

from __future__ import annotations

from django_tasks import task

from opora.automation.bot import answer_ticket


@task()
def answer_new_ticket_task(ticket_id: int) -> None:
    """Let the answer bot reply to a new request (idempotent: one attempt per ticket)."""
    answer_ticket(ticket_id)
