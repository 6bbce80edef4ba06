"""Background jobs of the inbox channels (found by core's task autodiscovery)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.core.scheduler import register_periodic
from opora.inbox.email.tasks import (
    fetch_mailboxes_task,
    process_raw_message_task,
    process_raw_messages_task,
    send_mail_task,
)


@task()
def deliver_task(delivery_id: int) -> str:
    """Send one queued reply through its channel (see inbox/delivery.py)."""
    from opora.inbox.delivery import deliver

    return deliver(delivery_id)


@task()
def sweep_deliveries_task() -> int:
    """Deliveries whose attempt was lost (a process died) are queued again."""
    from opora.inbox.delivery import sweep

    return sweep()


register_periodic(sweep_deliveries_task, every=timedelta(minutes=1))
# How often IMAP mailboxes are polled.
register_periodic(fetch_mailboxes_task, every=timedelta(minutes=1))

__all__ = [
    "deliver_task",
    "fetch_mailboxes_task",
    "process_raw_message_task",
    "process_raw_messages_task",
    "send_mail_task",
    "sweep_deliveries_task",
]
