"""The outbox: the desk's public messages delivered through their ticket's channel.

`queue_deliveries` runs in the message's own transaction (subscribed to MessageAdded):
a `Delivery` row is written if and only if the message is stored, and a job is queued
after commit. `deliver` sends one through the channel's adapter: on success it is
marked sent; on failure it is tried again with exponential backoff, and after the last
attempt (or a permanent refusal) it is marked failed and a `delivery_failed` event is
recorded on the ticket. A worker killed mid-send leaves the job to the reaper, which
runs it again: a delivery is sent at least once, and never again once marked sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opora.core.tasks import enqueue_many_after_commit
from opora.inbox.channels import DeliveryFailed, adapter_for
from opora.inbox.models import Delivery, DeliveryState
from opora.tickets import events as ticket_events
from opora.tickets.domain_events import MessageAdded

logger = logging.getLogger("opora.inbox.delivery")
BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600


def queue_deliveries(events: list[MessageAdded]) -> None:
    """The desk's public messages go out through their ticket's channel adapter."""
    rows = []
    for event in events:
        if not event.from_desk:
            continue
        adapter = adapter_for(event.ticket.channel)
        if adapter is None:
            continue
        address = adapter.address_for(event.ticket, event.message)
        if not address:
            continue
        rows.append(
            Delivery(
                ticket=event.ticket,
                ticket_message=event.message,
                channel=adapter.channel,
                kind="reply",
                address=address[:320],
            )
        )
    if rows:
        schedule(rows)


def schedule(rows: list[Delivery]) -> None:
    """Store the deliveries and queue their jobs after commit."""
    from opora.inbox.tasks import deliver_task

    Delivery.objects.bulk_create(rows)
    enqueue_many_after_commit(deliver_task, [(row.pk,) for row in rows])


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def deliver(delivery_id: int) -> str:
    """Send one delivery; "sent", "retry", "failed" or "skipped" (not queued)."""
    from opora.inbox.tasks import deliver_task

    delivery = (
        Delivery.objects.select_related("ticket", "ticket__requester", "ticket_message")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.state != DeliveryState.QUEUED:
        return "skipped"
    adapter = adapter_for(delivery.channel)
    try:
        if adapter is None:
            raise DeliveryFailed(f"no adapter for channel {delivery.channel}", permanent=True)
        external_id = adapter.deliver(delivery)
    except Exception as exc:
        delivery.attempts += 1
        delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
        permanent = isinstance(exc, DeliveryFailed) and exc.permanent
        if permanent or delivery.attempts >= settings.DELIVERY_ATTEMPTS:
            with transaction.atomic():
                delivery.state = DeliveryState.FAILED
                delivery.next_attempt_at = None
                delivery.save(update_fields=["attempts", "error", "state", "next_attempt_at"])
                ticket_events.delivery_failed_event(
                    ticket=delivery.ticket,
                    delivery=delivery.pk,
                    channel=delivery.channel,
                    address=delivery.address[:100],
                    error=delivery.error,
                )
            logger.warning("delivery %s on %s failed for good", delivery.pk, delivery.channel)
            return "failed"
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        delivery.save(update_fields=["attempts", "error", "next_attempt_at"])
        deliver_task.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
        return "retry"
    delivery.attempts += 1
    delivery.state = DeliveryState.SENT
    delivery.sent_at = timezone.now()
    delivery.next_attempt_at = None
    delivery.external_id = (external_id or "")[:255]
    delivery.error = ""
    delivery.save(
        update_fields=["attempts", "state", "sent_at", "next_attempt_at", "external_id", "error"]
    )
    return "sent"
