"""Background jobs of the e-mail channel."""

from __future__ import annotations

import logging

from django_tasks import task

from opora.inbox.email.models import Mailbox

logger = logging.getLogger("opora.inbox.email")


@task()
def process_raw_message_task(raw_id: int) -> str:
    from opora.inbox.email.pipeline import process

    return process(raw_id).state


@task()
def process_raw_messages_task(raw_ids: list[int]) -> int:
    """Process stored messages in one batch (see pipeline.process_many)."""
    from opora.inbox.email.pipeline import process_many

    return len(process_many(raw_ids))


@task()
def send_mail_task(outbound_id: int) -> str:
    """Jobs queued before mail became a `Delivery` (their rows were copied with their
    ids): sent like any delivery."""
    from opora.inbox.delivery import deliver

    return deliver(outbound_id)


@task()
def fetch_mailboxes_task() -> int:
    """Poll every active IMAP mailbox; one failing mailbox does not stop the others."""
    from opora.inbox.email.fetch import fetch_mailbox, process_pending

    total = 0
    for mailbox in Mailbox.objects.filter(active=True).exclude(imap_host=""):
        try:
            total += fetch_mailbox(mailbox, process_now=True)[0]
        except Exception:
            logger.exception("fetching mailbox %s failed", mailbox.pk)
    process_pending()
    return total
