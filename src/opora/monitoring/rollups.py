"""Hourly and daily sums of the raw results: what the 7-day and 90-day charts, the
24-hour uptime of the list and the monthly uptime read.

Idempotent: each run recomputes the hours (and days) it covers from scratch, deleting
and re-inserting their rows, so running twice or late changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from opora.monitoring.models import CheckResult, Period, Rollup


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def roll_up_hour(start: datetime) -> int:
    end = start + timedelta(hours=1)
    rows = (
        CheckResult.objects.filter(at__gte=start, at__lt=end)
        .values("monitor")
        .annotate(
            checks=Count("id"),
            ok=Count("id", filter=Q(ok=True)),
            ms_sum=Sum("ms"),
            ms_count=Count("ms"),
            ms_max=Max("ms"),
        )
    )
    sums = [
        Rollup(
            monitor_id=r["monitor"],
            period=Period.HOUR,
            start=start,
            checks=r["checks"],
            ok=r["ok"],
            ms_sum=r["ms_sum"] or 0,
            ms_count=r["ms_count"],
            ms_max=r["ms_max"] or 0,
        )
        for r in rows
    ]
    with transaction.atomic():
        Rollup.objects.filter(period=Period.HOUR, start=start).delete()
        Rollup.objects.bulk_create(sums)
    return len(sums)


def roll_up_day(start: datetime) -> int:
    end = start + timedelta(days=1)
    rows = (
        Rollup.objects.filter(period=Period.HOUR, start__gte=start, start__lt=end)
        .values("monitor")
        .annotate(
            checks=Sum("checks"),
            ok=Sum("ok"),
            ms_sum=Sum("ms_sum"),
            ms_count=Sum("ms_count"),
            ms_max=Max("ms_max"),
        )
    )
    sums = [
        Rollup(
            monitor_id=r["monitor"],
            period=Period.DAY,
            start=start,
            checks=r["checks"] or 0,
            ok=r["ok"] or 0,
            ms_sum=r["ms_sum"] or 0,
            ms_count=r["ms_count"] or 0,
            ms_max=r["ms_max"] or 0,
        )
        for r in rows
    ]
    with transaction.atomic():
        Rollup.objects.filter(period=Period.DAY, start=start).delete()
        Rollup.objects.bulk_create(sums)
    return len(sums)


def roll_up(now: datetime | None = None, *, hours: int = 2) -> None:
    """The current and previous hours, then the days they fall in."""
    now = now or timezone.now()
    current = _hour(now)
    starts = [current - timedelta(hours=i) for i in range(hours)]
    for start in starts:
        roll_up_hour(start)
    for day in sorted({_day(s) for s in starts}):
        roll_up_day(day)
