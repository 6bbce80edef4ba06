"""The drain: how a messenger's stored updates become tickets, many at a time.

A webhook only checks the request, stores the update as it came (one row: the
provider's id is unique, so an update sent twice is stored once) and answers at once,
as providers want. It queues the messenger's drain job only when none is queued
(`request`): one flag row per messenger, so a thousand webhooks a second queue one job,
not a thousand. The job (`run`) takes every waiting update, in arrival order, in
batches of `BATCH`: each batch is read, its files fetched and its people named outside
any transaction, then stored with one transaction through the channel layer's
`receive_many`.

Lanes: the updates are split by the person who wrote (`shard_of`, stored on each row as
it arrives) into `lanes()` lanes (OPORA_MESSENGER_DRAIN_LANES, 2 by default: one per
worker process), each with its own flag row and job, so that several workers drain at
once. Within a lane one drain runs at a time (a lease on its row), so the messages of
one person go in in the order they came and their conversation is opened once; a
second job that finds the lease taken leaves the work to the one that runs, which
looks again once it has let the lease go. Two lanes never hold the same person: their
batches touch different people, conversations and tickets, and do not wait for each
other.

A batch that fails as a whole is tried again update by update; an update that fails
alone is marked (`outcome` "failed", its `error`) and logged, and the others go on. A
drain that died half-way leaves its updates claimed: the periodic sweep queues the
drain again and they are taken after `STALE` (three attempts at most).
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django_tasks.base import Task

from opora.core import clock
from opora.core.errors import OporaError
from opora.messengers.conversations import Arrived, store_many
from opora.messengers.models import IntakeDrain
from opora.tickets.models import Ticket

logger = logging.getLogger("opora.messengers")

BATCH = 200
# A drain that has not moved for this long is taken to have died: its lease and the
# updates it claimed are free again.
STALE = timedelta(minutes=2)
MAX_ATTEMPTS = 3
RENEW = 10.0  # seconds between renewals of a running drain's lease
FAILED = "failed"  # the outcome of an update that could not be taken in
# A person's updates are in one of SHARDS shards; lane k of n takes the shards s with
# s % n == k (so changing the number of lanes needs no rewrite of stored rows).
SHARDS = 1024


def lanes() -> int:
    """How many drains of one messenger may run at once."""
    return max(1, int(settings.MESSENGER_DRAIN_LANES))


def shard_of(person: object) -> int:
    """The shard of the updates of `person` (the provider's id of who wrote; None when
    the update names nobody): the same person, the same lane, always."""
    if person is None:
        return 0
    return zlib.crc32(str(person).encode()) % SHARDS


def lane_name(name: str, lane: int) -> str:
    """The flag row of a lane: lane 0 keeps the messenger's own name."""
    return name if lane == 0 else f"{name}:{lane}"


def in_lane(queryset: Any, lane: int, count: int) -> Any:
    """The rows of `queryset` that lane `lane` of `count` takes."""
    return queryset.alias(lane=F("shard") % count).filter(lane=lane)


def request_lanes(name: str, task: Task[Any, Any], shards: Iterable[int] | None = None) -> None:
    """Queue the drain of every lane that holds one of `shards` (every lane when None);
    `task(lane)` drains one lane."""
    count = lanes()
    wanted = range(count) if shards is None else sorted({s % count for s in shards})
    queued = _queued_among([lane_name(name, lane) for lane in wanted])
    for lane in wanted:
        if lane_name(name, lane) not in queued:  # one statement asks for every lane
            request(lane_name(name, lane), task, lane)


def run_lanes(
    name: str,
    waiting: Callable[[], Any],
    take: Callable[[list[int]], int],
    lane: int | None = None,
    *,
    batch: int | None = None,
) -> int:
    """`run` for lane `lane` of messenger `name` (every lane, one after another, when
    None: a job queued before there were lanes, a polling run). Returns how many
    updates were handled."""
    count = lanes()
    chosen = range(count) if lane is None else [lane] if 0 <= lane < count else []
    done = 0
    for each in chosen:
        done += run(
            lane_name(name, each),
            lambda each=each: in_lane(waiting(), each, count),  # type: ignore[misc]
            take,
            batch=batch or BATCH,
        )
    return done


def request(name: str, task: Task[Any, Any], *args: Any) -> bool:
    """Queue the drain `task` of messenger `name` unless one is queued already; True
    when this call queued it. Call it after the update is committed (a webhook runs in
    autocommit): a drain that starts later sees the update."""
    if _queued(name):
        return False
    mark = IntakeDrain.objects.filter(name=name, queued_at__isnull=True)
    taken = mark.update(queued_at=clock.now())
    if not taken and not IntakeDrain.objects.filter(name=name).exists():
        IntakeDrain.objects.bulk_create([IntakeDrain(name=name)], ignore_conflicts=True)
        taken = mark.update(queued_at=clock.now())
    if taken:
        task.enqueue(*args)
    return bool(taken)


def _queued_among(names: Sequence[str]) -> set[str]:
    """Which of the drains `names` are queued: one fixed statement per number of names."""
    if not names:
        return set()
    meta, quote = IntakeDrain._meta, connection.ops.quote_name
    marks = ", ".join(["%s"] * len(names))
    sql = (
        f"SELECT {quote('name')} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote('name')} IN ({marks}) AND {quote('queued_at')} IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(names))
        return {row[0] for row in cursor.fetchall()}


def _queued(name: str) -> bool:
    """Whether the drain is queued: a fixed statement, as every webhook asks it."""
    meta, quote = IntakeDrain._meta, connection.ops.quote_name
    sql = (
        f"SELECT 1 FROM {quote(meta.db_table)} WHERE {quote('name')} = %s "  # noqa: S608
        f"AND {quote('queued_at')} IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        return cursor.fetchone() is not None


def unstick(name: str) -> None:
    """Updates wait for longer than a drain takes (the sweep found them): a queued
    drain whose job was lost no longer keeps others from being queued."""
    IntakeDrain.objects.filter(name=name, queued_at__lt=clock.now() - STALE).update(queued_at=None)


def _lease(name: str) -> bool:
    now = clock.now()
    free = IntakeDrain.objects.filter(name=name).filter(
        Q(running_at__isnull=True) | Q(running_at__lt=now - STALE)
    )
    if free.update(running_at=now):
        return True
    if IntakeDrain.objects.filter(name=name).exists():
        return False  # another drain runs
    IntakeDrain.objects.bulk_create([IntakeDrain(name=name)], ignore_conflicts=True)
    return bool(free.update(running_at=now))


def run(
    name: str,
    waiting: Callable[[], Any],
    take: Callable[[list[int]], int],
    *,
    batch: int = BATCH,
) -> int:
    """Drain messenger `name`: `waiting()` is the queryset of its updates still to
    take (unhandled, unclaimed or claimed long ago), `take(ids)` takes a batch in and
    returns how many it handled. Returns how many updates this run handled."""

    def step() -> int:
        started = time.monotonic()
        ids = _claim(waiting, batch)
        claimed = time.monotonic()
        did = take(ids) if ids else 0
        if did:
            # One line per batch: what the drain did and how long it took (the
            # benchmark reads these to tell waiting from working).
            logger.info(
                "drain %s: %s updates in %.3f s (claim %.3f s), done at %.3f",
                name,
                did,
                time.monotonic() - started,
                claimed - started,
                time.time(),
            )
        return did

    return alone(name, step, lambda: bool(waiting().exists()))


def alone(name: str, step: Callable[[], int], pending: Callable[[], bool]) -> int:
    """Run `step` (one batch; how many it did, 0 when nothing was waiting) until it
    finds nothing, holding `name`'s lease: never two at once. Returns the total."""
    IntakeDrain.objects.filter(name=name).update(queued_at=None)  # later ones queue anew
    done = 0
    while _lease(name):
        try:
            renewed = time.monotonic()
            while did := step():
                done += did
                # The lease renewed now and then, well within STALE: not a durable
                # commit after every batch.
                if time.monotonic() - renewed > RENEW:
                    IntakeDrain.objects.filter(name=name).update(running_at=clock.now())
                    renewed = time.monotonic()
        finally:
            IntakeDrain.objects.filter(name=name).update(running_at=None)
        # Work that came while the lease was being let go found it taken: look again,
        # so it does not wait for the sweep.
        if not pending():
            break
    return done


def _claim(waiting: Callable[[], Any], batch: int) -> list[int]:
    now = clock.now()
    with transaction.atomic():
        ids = list(
            waiting()
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            waiting().model.objects.filter(pk__in=ids).update(
                claimed_at=now, attempts=F("attempts") + 1
            )
    return ids


def waiting_filter() -> Q:
    """Updates a drain may take: not handled, and not claimed by a drain still alive."""
    return (
        Q(handled_at__isnull=True)
        & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=clock.now() - STALE))
        & Q(attempts__lt=MAX_ATTEMPTS)
    )


def store(
    rows: Sequence[Any],
    work: Sequence[tuple[Any, Arrived, str]],
) -> list[Ticket]:
    """Store a batch's messages and note every row of it handled, in one transaction;
    returns the tickets the batch opened (for the answer bot, after commit).

    `rows`: the batch's update rows (with `outcome` and `error` set for those already
    decided: ignored, greeted, failed while read); `work`: (row, message, the row's
    outcome once stored). When the batch fails as a whole, each message is tried alone;
    one that fails alone is marked failed and logged, the others go on."""
    try:
        with transaction.atomic():
            opened = _store(work, mark=False)  # every row is marked just below
            handled(rows)
        return opened
    except Exception:
        if not work:
            raise  # not a message's fault
        logger.warning(
            "a batch of %s messenger updates failed: one by one", len(work), exc_info=True
        )
    opened = []
    for row, arrived, outcome in work:
        try:
            with transaction.atomic():
                opened += _store([(row, arrived, outcome)], mark=True)
        except Exception as exc:
            failed(row, exc)
    handled(rows)
    return opened


def _store(work: Sequence[tuple[Any, Arrived, str]], *, mark: bool) -> list[Ticket]:
    """Store the messages; `mark`: note their rows handled too (in the same
    transaction), else the caller does."""
    results = store_many([arrived for _row, arrived, _outcome in work])
    opened = []
    for (row, _arrived, outcome), result in zip(work, results, strict=True):
        if isinstance(result, OporaError):
            failed(row, result)
            continue
        row.outcome = outcome
        if result.opened:
            opened.append(result.ticket)
    if mark:
        handled([row for row, _arrived, _outcome in work])
    return opened


def failed(row: Any, exc: BaseException) -> None:
    """The update could not be taken in: marked on its row and logged; the drain goes on."""
    row.outcome = FAILED
    row.error = f"{type(exc).__name__}: {exc}"[:2000]
    logger.warning(
        "%s %s failed: %s",
        type(row).__name__,
        row.pk,
        row.error,
        exc_info=not isinstance(exc, OporaError),
    )


def handled(rows: Sequence[Any]) -> None:
    """Note the rows handled, with their outcome and error: one UPDATE per distinct
    (outcome, error), nearly always one or two for a whole batch (an UPDATE per row
    cost the database a statement per message)."""
    if not rows:
        return
    now = clock.now()
    alike: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        row.handled_at = now
        alike.setdefault((row.outcome, row.error), []).append(row.pk)
    model = type(rows[0])
    for (outcome, error), ids in alike.items():
        model.objects.filter(pk__in=ids).update(outcome=outcome, error=error, handled_at=now)
