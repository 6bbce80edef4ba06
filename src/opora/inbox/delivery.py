"""The outbox: the desk's public messages delivered through their ticket's channel.

`queue_deliveries` runs in the message's own transaction (subscribed to MessageAdded):
a `Delivery` row is written if and only if the message is stored, and a job is queued
after commit. `deliver` sends one through the channel's adapter: on success it is
marked sent; on failure it is tried again with exponential backoff, and after the last
attempt (or a permanent refusal) it is marked failed and a `delivery_failed` event is
recorded on the ticket. Every attempt is counted in /metrics
(`opora_delivery_attempts` by channel and result); a failed delivery can be queued
again by an agent (`retry`: "Send again" on the ticket page and in the API).

Each attempt first claims the row (`next_attempt_at` moved a lease ahead, in one
conditional update), so two runners never send the same delivery at once. Channels
whose adapter is `immediate` (live chat: the visitor is waiting) are also tried at once
after commit, in the process that stored the message, without waiting for a worker.
Nothing is lost when a process dies: `sweep` (every minute) queues a job again for any
delivery still queued whose lease or backoff has run out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from opora.core import metrics
from opora.core.bulk import create_rows, update_rows
from opora.core.tasks import enqueue_many, enqueue_many_after_commit
from opora.core.transaction import after_commit
from opora.inbox.channels import Adapter, DeliveryFailed, adapter_for
from opora.inbox.models import Delivery, DeliveryState
from opora.tickets import events as ticket_events
from opora.tickets.domain_events import MessageAdded
from opora.tickets.models import Message, Ticket

logger = logging.getLogger("opora.inbox.delivery")
BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600


def lease() -> timedelta:
    """How long one attempt may take before another runner may try the delivery again."""
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def queue_deliveries(events: list[MessageAdded]) -> None:
    """The desk's public messages go out through their ticket's channel adapter."""
    rows = deliveries_for([(e.ticket, e.message) for e in events if e.from_desk], kind="reply")
    if rows:
        schedule(rows)


def delivery_for(
    ticket: Ticket, message: Message | None, *, kind: str, adapter: Adapter | None = None
) -> Delivery | None:
    """An unsaved delivery of `message` (None: a notice about the ticket, such as
    "ticket_created") through `adapter`, by default the one of the ticket's channel;
    None when there is no adapter or it cannot reach the requester."""
    adapter = adapter or adapter_for(ticket.channel)
    if adapter is None:
        return None
    address = adapter.address_for(ticket, message)
    if not address:
        return None
    row = _unsaved(adapter, ticket, message, kind, address)
    _prepare(adapter, [row])
    return row


def deliveries_for(pairs: Sequence[tuple[Ticket, Message | None]], *, kind: str) -> list[Delivery]:
    """`delivery_for` of each (ticket, message) through its ticket's channel, in order,
    the ones that cannot go left out; an adapter with `addresses_for` or `prepare_many`
    does its reads once for all of its tickets (a group of replies)."""
    places: dict[str, list[int]] = {}
    for i, (ticket, _message) in enumerate(pairs):
        places.setdefault(ticket.channel, []).append(i)
    found: dict[int, Delivery] = {}
    for channel, indexes in places.items():
        adapter = adapter_for(channel)
        if adapter is None:
            continue
        mine = [pairs[i] for i in indexes]
        many = getattr(adapter, "addresses_for", None)  # optional, see channels.Adapter
        addresses = many(mine) if many else [adapter.address_for(t, m) for t, m in mine]
        rows = {
            i: _unsaved(adapter, ticket, message, kind, address)
            for i, (ticket, message), address in zip(indexes, mine, addresses, strict=True)
            if address
        }
        _prepare(adapter, list(rows.values()))
        found.update(rows)
    return [found[i] for i in sorted(found)]


def _unsaved(
    adapter: Adapter, ticket: Ticket, message: Message | None, kind: str, address: str
) -> Delivery:
    return Delivery(
        ticket=ticket,
        ticket_message=message,
        channel=adapter.channel,
        kind=kind,
        address=address[:320],
    )


def _prepare(adapter: Adapter, rows: list[Delivery]) -> None:
    """The adapter's optional `prepare_many`, else its `prepare` of each row."""
    many = getattr(adapter, "prepare_many", None)  # optional, see channels.Adapter
    if many is not None:
        many(rows)
        return
    prepare = getattr(adapter, "prepare", None)
    if prepare is not None:
        for row in rows:
            prepare(row)


def schedule(rows: list[Delivery]) -> None:
    """Store the deliveries and queue their jobs after commit."""
    from opora.inbox.tasks import deliver_task

    create_rows(Delivery, rows)
    now_ids = [row.pk for row in rows if getattr(adapter_for(row.channel), "immediate", False)]
    if now_ids:
        after_commit(_deliver_now, now_ids)
    later = [row for row in rows if row.pk not in now_ids]
    own = [row for row in later if getattr(adapter_for(row.channel), "schedule", None)]
    for channel in sorted({row.channel for row in own}):
        adapter = adapter_for(channel)
        adapter.schedule([row for row in own if row.channel == channel])  # type: ignore[union-attr]
    enqueue_many_after_commit(deliver_task, [(row.pk,) for row in later if row not in own])


def _deliver_now(ids: list[int]) -> None:
    for delivery_id in ids:
        try:
            deliver(delivery_id)
        except Exception:
            # The row is still queued: the sweep hands it to a worker.
            logger.exception("immediate delivery %s failed", delivery_id)


def sweep() -> int:
    """Queue a job again for every delivery still queued whose lease or backoff ran out
    (its process died, or its job was lost); returns how many."""
    from opora.inbox.tasks import deliver_task

    due = timezone.now() - timedelta(seconds=10)
    stale = list(
        Delivery.objects.filter(state=DeliveryState.QUEUED)
        .filter(
            models.Q(next_attempt_at__isnull=True, created_at__lt=due - lease() / 2)
            | models.Q(next_attempt_at__lt=due)
        )
        .order_by("id")
        .values_list("id", flat=True)[:1000]
    )
    enqueue_many(deliver_task, [(pk,) for pk in stale])
    return len(stale)


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    return bool(
        Delivery.objects.filter(pk=delivery_id, state=DeliveryState.QUEUED)
        .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + lease())
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def deliver(delivery_id: int) -> str:
    """Send one delivery; "sent", "retry", "failed" or "skipped" (not queued)."""
    if not _claim(delivery_id):
        return "skipped"  # sent, failed, being tried elsewhere, or not due yet
    delivery = (
        Delivery.objects.select_related(
            "ticket", "ticket__requester", "ticket__team", "ticket_message"
        )
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.state != DeliveryState.QUEUED:
        return "skipped"
    result = _attempt(delivery)
    metrics.DELIVERY_ATTEMPTS.labels(channel=delivery.channel, result=result).inc()
    return result


def deliver_many(
    ids: Sequence[int],
    around: Callable[[list[Delivery]], AbstractContextManager[object]] | None = None,
) -> dict[str, int]:
    """Send many deliveries, in the order of `ids`, as `deliver` sends each: the rows
    claimed and loaded together (one locked read, one update), every success saved in
    one batch of updates; a failure is saved at once, retried with backoff or recorded
    on the ticket exactly as `deliver` does. `around(rows)` is the context the sending
    runs in: a channel's deliverer loads there, once, what its adapter reads for each
    row, and keeps one session with the provider. Returns how many were sent, retried,
    failed (rows not claimed, being tried elsewhere or not due, are left alone)."""
    rows = _claim_many(ids)
    counts: dict[str, int] = {}
    if not rows:
        return counts
    sent: list[Delivery] = []
    tally: dict[tuple[str, str], int] = {}
    try:
        with around(rows) if around is not None else nullcontext():
            for row in rows:
                result = _attempt(row, sent=sent)
                tally[(row.channel, result)] = tally.get((row.channel, result), 0) + 1
    finally:
        # Whatever stopped the run, what went out is saved: never sent twice.
        update_rows(Delivery, sent, _SENT_FIELDS)
        for (channel, result), count in tally.items():
            metrics.DELIVERY_ATTEMPTS.labels(channel=channel, result=result).inc(count)
            counts[result] = counts.get(result, 0) + count
    return counts


def _claim_many(ids: Sequence[int]) -> list[Delivery]:
    now = timezone.now()
    until = now + lease()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket", "ticket__requester", "ticket__team", "ticket_message")
            .defer("rendered")
            .filter(pk__in=list(ids), state=DeliveryState.QUEUED)
            .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now))
            .order_by("id")
        )
        if rows:
            Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(next_attempt_at=until)
    for row in rows:
        row.next_attempt_at = until
    return rows


_SENT_FIELDS = ("attempts", "state", "sent_at", "next_attempt_at", "external_id", "error")


def _attempt(delivery: Delivery, *, sent: list[Delivery] | None = None) -> str:
    """Try the claimed delivery once and save what came of it; a success is only
    added to `sent` when given (the caller saves them together)."""
    from opora.inbox.tasks import deliver_task

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
                if delivery.ticket_id is not None:  # the desk's own mail answers no ticket
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
    # An id the adapter named when the row was queued (a Message-ID) stays.
    delivery.external_id = (external_id or delivery.external_id)[:255]
    delivery.error = ""
    if sent is not None:
        sent.append(delivery)
    else:
        delivery.save(update_fields=list(_SENT_FIELDS))
    return "sent"


def retry(delivery: Delivery) -> Delivery:
    """Queue a failed delivery again, with a fresh round of attempts ("Send again")."""
    from opora.inbox.tasks import deliver_task

    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
            state=DeliveryState.QUEUED, attempts=0, error="", next_attempt_at=None
        )
        if updated:
            enqueue_many_after_commit(deliver_task, [(delivery.pk,)])
    delivery.refresh_from_db()
    return delivery


# How far a delivery got, as the provider reports it afterwards (WhatsApp's statuses):
# a receipt never moves a delivery back.
_PROGRESS = {
    DeliveryState.SENT.value: 1,
    DeliveryState.RECEIVED.value: 2,
    DeliveryState.READ.value: 3,
}


def report_receipt(delivery_id: int, state: str, error: str = "") -> bool:
    """The provider says a sent delivery reached the person (`RECEIVED`), was read
    (`READ`), or failed after all (`FAILED`: recorded on the ticket as any failure);
    True when the delivery changed."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("ticket")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state in (DeliveryState.QUEUED, DeliveryState.FAILED):
            return False
        if state == DeliveryState.FAILED:
            delivery.state, delivery.error = DeliveryState.FAILED, error[:2000]
            delivery.save(update_fields=["state", "error"])
            if delivery.ticket_id is not None:
                ticket_events.delivery_failed_event(
                    ticket=delivery.ticket,
                    delivery=delivery.pk,
                    channel=delivery.channel,
                    address=delivery.address[:100],
                    error=delivery.error,
                )
            return True
        if _PROGRESS.get(str(state), 0) <= _PROGRESS.get(str(delivery.state), 0):
            return False
        delivery.state = state
        delivery.save(update_fields=["state"])
        return True
