"""The check runner: one per job worker, beside the jobs, never blocking them.

A thread of the worker process runs an asyncio loop. Every tick it claims the monitors
due within the next second (`claim_due`: a row lock with SKIP LOCKED on PostgreSQL, so
any number of workers share the monitors without running one twice; on SQLite the
write lock does the same), moves each one's `next_due_at` one interval on (keeping its
phase, so monitors created at different moments stay spread out), starts each check at
its due moment, and hands finished results to `actions.record_results` in batches.

Database work runs in one thread of its own (the ORM is synchronous), so a slow write
never stalls the checks in flight, and checks never wait on each other beyond the
concurrency limit (`OPORA_MONITORING_CONCURRENCY`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from opora.monitoring import actions, checks, guard
from opora.monitoring.models import Monitor

logger = logging.getLogger("opora.monitoring")
TICK_SECONDS = 1.0
LOOKAHEAD = timedelta(seconds=1.0)
CLAIM_LIMIT = 2000


def spec_of(monitor: Monitor) -> checks.Spec:
    return checks.Spec(
        id=monitor.pk,
        kind=monitor.kind,
        target=monitor.target,
        timeout=float(monitor.timeout_seconds),
        expected_status=monitor.expected_status,
        keyword=monitor.keyword,
        json_path=monitor.json_path,
        json_value=monitor.json_value,
        max_response_ms=monitor.max_response_ms,
        verify_tls=monitor.verify_tls,
        cert_warn_days=monitor.cert_warn_days,
        dns_expected=monitor.dns_expected,
        last_push_at=monitor.last_push_at,
        interval=monitor.interval_seconds,
    )


def next_due(due: datetime, interval: int, now: datetime) -> datetime:
    """The next moment in the monitor's own phase after now."""
    step = timedelta(seconds=interval)
    if due + step > now:
        return due + step
    behind = (now - due) / step
    return due + step * math.ceil(behind + 1e-9)


def claim_due(
    limit: int = CLAIM_LIMIT, lookahead: timedelta = LOOKAHEAD
) -> list[tuple[checks.Spec, datetime]]:
    """Claim the active monitors due by now + lookahead: (spec, due moment) each."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Monitor.objects.select_for_update(skip_locked=True)
            .filter(active=True, next_due_at__lte=now + lookahead)
            .order_by("next_due_at")[:limit]
        )
        claimed = []
        for monitor in due:
            claimed.append((spec_of(monitor), monitor.next_due_at))
            monitor.next_due_at = next_due(monitor.next_due_at, monitor.interval_seconds, now)
        Monitor.objects.bulk_update(due, ["next_due_at"], batch_size=500)
    return claimed


@dataclass
class Stats:
    """What the runner did, for /metrics-like looks and the benchmark."""

    checks: int = 0
    failures: int = 0
    drifts: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))


def http_session(concurrency: int) -> Any:
    import aiohttp

    connector = aiohttp.TCPConnector(
        resolver=guard.guarded_resolver(),
        limit=concurrency,
        # Each check opens its own connection: what a visitor meets (DNS, connect, TLS),
        # and every connection's address passes the guard.
        force_close=True,
        use_dns_cache=False,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None),
        max_line_size=16 * 1024,
        max_field_size=16 * 1024,
    )


class Runner:
    def __init__(self, *, concurrency: int | None = None, tick: float = TICK_SECONDS) -> None:
        self.concurrency = concurrency or settings.MONITORING_CONCURRENCY
        self.tick = tick
        self.stats = Stats()
        self._done: list[actions.Checked] = []

    # --- one pass, for tests and `opora monitoring run-once` ---

    def run_once(self) -> dict[str, list[int]]:
        """Claim what is due now, run it, store the results; returns what changed."""
        claimed = claim_due(lookahead=timedelta(0))
        if not claimed:
            return {"down": [], "up": []}

        async def go() -> list[actions.Checked]:
            async with http_session(self.concurrency) as http:
                semaphore = asyncio.Semaphore(self.concurrency)
                return list(
                    await asyncio.gather(
                        *(self._check(spec, due, http, semaphore) for spec, due in claimed)
                    )
                )

        return actions.record_results(asyncio.run(go()))

    # --- the loop of a worker ---

    def run(self, stop: threading.Event) -> None:
        """The thread's body: returns when `stop` is set."""
        try:
            asyncio.run(self._main(stop))
        except Exception:
            logger.exception("the monitoring runner stopped")

    async def _main(self, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        db = ThreadPoolExecutor(1, thread_name_prefix="opora-monitoring-db")
        semaphore = asyncio.Semaphore(self.concurrency)
        in_flight: set[asyncio.Task[Any]] = set()
        try:
            async with http_session(self.concurrency) as http:
                while not stop.is_set():
                    started = time.monotonic()
                    claimed = await loop.run_in_executor(db, _safely, claim_due)
                    for spec, due in claimed or []:
                        task = asyncio.create_task(self._scheduled(spec, due, http, semaphore))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
                    await self._flush(loop, db)
                    await asyncio.sleep(max(0.05, self.tick - (time.monotonic() - started)))
                if in_flight:
                    await asyncio.wait(in_flight, timeout=65)
                await self._flush(loop, db)
        finally:
            await loop.run_in_executor(db, close_old_connections)
            db.shutdown(wait=True)

    async def _flush(self, loop: asyncio.AbstractEventLoop, db: ThreadPoolExecutor) -> None:
        if self._done:
            batch, self._done = self._done, []
            await loop.run_in_executor(db, _safely, actions.record_results, batch)

    async def _scheduled(
        self, spec: checks.Spec, due: datetime, http: Any, semaphore: asyncio.Semaphore
    ) -> None:
        wait = (due - timezone.now()).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)
        self._done.append(await self._check(spec, due, http, semaphore))

    async def _check(
        self, spec: checks.Spec, due: datetime, http: Any, semaphore: asyncio.Semaphore
    ) -> actions.Checked:
        async with semaphore:
            at = timezone.now()
            self.stats.drifts.append(max(0.0, (at - due).total_seconds()))
            outcome = await checks.run(spec, http)
        self.stats.checks += 1
        self.stats.failures += 0 if outcome.ok else 1
        return actions.Checked(spec.id, at, outcome)


def _safely(function: Any, *args: Any) -> Any:
    """Database work of the runner: a passing error is logged, the loop goes on."""
    try:
        return function(*args)
    except Exception:
        logger.exception("monitoring: %s failed", getattr(function, "__name__", function))
        return None
    finally:
        close_old_connections()


_started: Runner | None = None


def start_with_worker(events: list[Any]) -> None:
    """A job worker starts: run the checks beside it (unless OPORA_MONITORING_RUNNER
    is off), until the worker's stop event is set."""
    global _started
    if not settings.MONITORING_RUNNER or _started is not None or not events:
        return
    _started = Runner()
    threading.Thread(
        target=_started.run, args=(events[0].stop,), name="opora-monitoring", daemon=True
    ).start()
