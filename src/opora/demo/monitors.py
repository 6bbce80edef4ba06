"""The demo's monitors: an always-up and a flapping endpoint of the local simulator
(`demo/simulator.py`, `/status/up` and `/status/flap`), with a day of results, a
quarter of rollups and one incident from the history, so the Monitoring pages show
charts at once; `opora serve` keeps checking them live.

The simulator listens on 127.0.0.1, which the SSRF guard refuses unless private ranges
are allowed: `make run` allows them (OPORA_MONITORING_ALLOW_PRIVATE=true), as a desk on
a laptop would.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.test import override_settings

from opora.demo.history import Cast
from opora.demo.simulator import base_url
from opora.monitoring import actions, rollups
from opora.monitoring.checks import Outcome
from opora.monitoring.models import CheckResult, Monitor, Period, Rollup

INTERVAL = 30


def set_up(cast: Cast, now: datetime, seed: int = 42) -> list[Monitor]:
    rng = random.Random(seed)  # noqa: S311 - demo figures, not secrets
    team = cast.teams["Support"]
    with override_settings(MONITORING_ALLOW_PRIVATE=True):
        up = actions.create_monitor(
            by=cast.admin,
            values={
                "name": "Shop (always up)",
                "kind": "http",
                "target": f"{base_url()}/status/up",
                "team": team.pk,
                "interval_seconds": INTERVAL,
                "timeout_seconds": 5,
                "keyword": "operational",
            },
        )
        flap = actions.create_monitor(
            by=cast.admin,
            values={
                "name": "Payments API (flapping)",
                "kind": "http",
                "target": f"{base_url()}/status/flap",
                "team": team.pk,
                "interval_seconds": INTERVAL,
                "timeout_seconds": 5,
                "down_after": 2,
            },
        )
    _history(up, now, rng, failing=lambda _at: False)
    # Down for the first two minutes of every ten, as the simulator answers.
    _history(flap, now, rng, failing=lambda at: at.minute % 10 < 2)
    _incident(flap, now)
    return [up, flap]


def _history(monitor: Monitor, now: datetime, rng: random.Random, failing: object) -> None:
    """A day of raw results and 90 days of daily sums (7 days hourly)."""
    start = now - timedelta(hours=24)
    rows = []
    at = start
    while at < now - timedelta(minutes=1):
        bad = failing(at)  # type: ignore[operator]
        ms = None if bad else int(rng.gauss(120, 25)) + 20
        rows.append(
            CheckResult(monitor=monitor, at=at, ok=not bad, ms=ms, code=503 if bad else 200)
        )
        at += timedelta(seconds=INTERVAL)
    CheckResult.objects.bulk_create(rows, batch_size=2000)
    hour = now.replace(minute=0, second=0, microsecond=0)
    for i in range(25):
        rollups.roll_up_hour(hour - timedelta(hours=i))
    sums = []
    for day in range(1, 91):
        start_day = (now - timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        checks = 24 * 3600 // INTERVAL
        bad = int(checks * 0.2) if monitor.down_after == 2 else rng.choice([0, 0, 0, 3])
        sums.append(
            Rollup(
                monitor=monitor,
                period=Period.DAY,
                start=start_day,
                checks=checks,
                ok=checks - bad,
                ms_sum=(checks - bad) * int(rng.gauss(120, 10)),
                ms_count=checks - bad,
                ms_max=400,
            )
        )
        if day <= 7:
            sums.extend(
                Rollup(
                    monitor=monitor,
                    period=Period.HOUR,
                    start=start_day + timedelta(hours=h),
                    checks=120,
                    ok=120 - (bad // 24),
                    ms_sum=(120 - bad // 24) * int(rng.gauss(120, 15)),
                    ms_count=120 - bad // 24,
                    ms_max=400,
                )
                for h in range(24)
            )
    Rollup.objects.bulk_create(sums, ignore_conflicts=True)
    rollups.roll_up_day(now.replace(hour=0, minute=0, second=0, microsecond=0))


def _incident(monitor: Monitor, now: datetime) -> None:
    """The flapping endpoint's last outage, through the same path the runner takes."""
    failed = Outcome(False, 12, 503, "status 503", {"status": 503, "url": monitor.target})
    at = now - timedelta(minutes=3)
    actions.record_results(
        [
            actions.Checked(monitor.pk, at, failed),
            actions.Checked(monitor.pk, at + timedelta(seconds=INTERVAL), failed),
        ]
    )
