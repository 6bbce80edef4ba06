"""Background jobs of the inbox channels (found by core's task autodiscovery)."""

from __future__ import annotations

from datetime import timedelta

from opora.core.scheduler import register_periodic
from opora.inbox.email.tasks import (
    fetch_mailboxes_task,
    process_raw_message_task,
    process_raw_messages_task,
    send_mail_task,
)

# How often IMAP mailboxes are polled.
register_periodic(fetch_mailboxes_task, every=timedelta(minutes=1))

__all__ = [
    "fetch_mailboxes_task",
    "process_raw_message_task",
    "process_raw_messages_task",
    "send_mail_task",
]
