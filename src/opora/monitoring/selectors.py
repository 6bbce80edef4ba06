"""Reads of monitoring and who may make them (`access_*`).

Admins see and manage every monitor; team leads those of their teams (and may add
monitors for them); other people none: a monitor's target and evidence are the
company's internals, not every agent's business (its incidents are ordinary problem
tickets, which the team's agents see as they see any other).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.monitoring import errors
from opora.monitoring.models import (
    CheckResult,
    Incident,
    MaintenanceWindow,
    Monitor,
    Period,
    Rollup,
)


def may_manage_monitors(user: User) -> bool:
    return user.is_active and (user.is_admin or (user.is_agent and user.is_team_lead))


def require_manager(user: User) -> None:
    if not may_manage_monitors(user):
        raise Forbidden(
            errors.ADMINS_OR_LEADS, _("Only administrators and team leads manage monitors.")
        )


def lead_team_ids(user: User) -> set[int]:
    return set(user.teams.values_list("pk", flat=True))


def visible_monitors(user: User) -> QuerySet[Monitor]:
    require_manager(user)
    found = Monitor.objects.select_related("team")
    if user.is_admin:
        return found
    return found.filter(team__in=lead_team_ids(user))


def access_monitor(user: User, monitor_id: int) -> Monitor:
    found = visible_monitors(user).filter(pk=monitor_id).first()
    if found is None:
        raise NotFound(_("monitor"))
    return found


def visible_incidents(user: User) -> QuerySet[Incident]:
    require_manager(user)
    found = Incident.objects.select_related("monitor", "ticket", "team")
    if user.is_admin:
        return found
    return found.filter(team__in=lead_team_ids(user))


def access_incident(user: User, incident_id: int) -> Incident:
    found = visible_incidents(user).filter(pk=incident_id).first()
    if found is None:
        raise NotFound(_("incident"))
    return found


def push_url(monitor: Monitor) -> str | None:
    """Where a heartbeat monitor's job reports (GET or POST)."""
    from django.conf import settings

    if monitor.kind != "heartbeat":
        return None
    return f"{settings.BASE_URL}/api/v1/monitoring/push/{monitor.push_token}"


def in_maintenance(monitor_ids: list[int], now: datetime) -> set[int]:
    """Those of the monitors under a maintenance window now (a window without a
    monitor covers all of them)."""
    windows = MaintenanceWindow.objects.filter(starts_at__lte=now, ends_at__gt=now)
    covered = set(windows.values_list("monitor_id", flat=True))
    if None in covered:
        return set(monitor_ids)
    return covered & set(monitor_ids)


def windows_of(monitor: Monitor) -> QuerySet[MaintenanceWindow]:
    now = timezone.now()
    return MaintenanceWindow.objects.filter(
        Q(monitor=monitor) | Q(monitor__isnull=True), ends_at__gt=now - timedelta(days=7)
    ).order_by("starts_at", "id")


# --- Figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    start: datetime
    checks: int
    ok: int
    avg_ms: float | None

    @property
    def uptime(self) -> float | None:
        return round(100 * self.ok / self.checks, 3) if self.checks else None


def uptime_24h(monitor_ids: list[int]) -> dict[int, float | None]:
    """Per monitor, the share of good checks in the last 24 hours (hourly rollups,
    which the rollup job keeps up to date within minutes)."""
    since = timezone.now() - timedelta(hours=24)
    rows = (
        Rollup.objects.filter(monitor__in=monitor_ids, period=Period.HOUR, start__gte=since)
        .values("monitor")
        .annotate(checks=Sum("checks"), ok=Sum("ok"))
    )
    found: dict[int, float | None] = dict.fromkeys(monitor_ids)
    for row in rows:
        if row["checks"]:
            found[row["monitor"]] = round(100 * row["ok"] / row["checks"], 2)
    return found


def series(monitor: Monitor, span: str, now: datetime | None = None) -> list[Point]:
    """The chart's points: 24h from raw results in 15-minute buckets, 7d from hourly
    rollups, 90d from daily ones."""
    now = now or timezone.now()
    if span == "24h":
        return _raw_buckets(monitor, now - timedelta(hours=24), now, timedelta(minutes=15))
    period, back = (
        (Period.HOUR, timedelta(days=7)) if span == "7d" else (Period.DAY, timedelta(days=90))
    )
    rows = Rollup.objects.filter(monitor=monitor, period=period, start__gte=now - back).order_by(
        "start"
    )
    return [
        Point(r.start, r.checks, r.ok, (r.ms_sum / r.ms_count) if r.ms_count else None)
        for r in rows
    ]


def _raw_buckets(monitor: Monitor, start: datetime, end: datetime, step: timedelta) -> list[Point]:
    rows = CheckResult.objects.filter(monitor=monitor, at__gte=start, at__lt=end).values_list(
        "at", "ok", "ms"
    )
    n = int((end - start) / step)
    checks, oks, ms_sum, ms_n = [0] * n, [0] * n, [0] * n, [0] * n
    for at, ok, ms in rows.iterator(chunk_size=5000):
        i = min(int((at - start) / step), n - 1)
        checks[i] += 1
        oks[i] += int(ok)
        if ms is not None:
            ms_sum[i] += ms
            ms_n[i] += 1
    return [
        Point(start + i * step, checks[i], oks[i], ms_sum[i] / ms_n[i] if ms_n[i] else None)
        for i in range(n)
        if checks[i]
    ]


def monthly_uptime(monitor: Monitor, months: int = 12) -> list[tuple[str, float | None, int]]:
    """(YYYY-MM, uptime %, checks) per month, newest first, from the daily rollups."""
    rows = (
        Rollup.objects.filter(monitor=monitor, period=Period.DAY)
        .values_list("start", "checks", "ok")
        .order_by("-start")
    )
    by_month: dict[str, list[int]] = {}
    for start, checks, ok in rows:
        key = start.strftime("%Y-%m")
        if key not in by_month and len(by_month) >= months:
            break
        totals = by_month.setdefault(key, [0, 0])
        totals[0] += checks
        totals[1] += ok
    return [
        (key, round(100 * ok / checks, 3) if checks else None, checks)
        for key, (checks, ok) in by_month.items()
    ]


@dataclass(frozen=True)
class IncidentFigures:
    count: int
    open: int
    detect_seconds: float | None  # mean time from the first failure to the incident
    resolve_seconds: float | None  # mean time from the first failure to resolution


def incident_figures(start: datetime, end: datetime, team_id: int | None = None) -> IncidentFigures:
    """The incidents detected in [start, end): how many, and how fast."""
    found = Incident.objects.filter(detected_at__gte=start, detected_at__lt=end)
    if team_id is not None:
        found = found.filter(team_id=team_id)
    detect: list[float] = []
    resolve: list[float] = []
    count = still_open = 0
    for started, detected, resolved in found.values_list(
        "started_at", "detected_at", "resolved_at"
    ):
        count += 1
        detect.append(max(0.0, (detected - started).total_seconds()))
        if resolved is None:
            still_open += 1
        else:
            resolve.append(max(0.0, (resolved - started).total_seconds()))
    return IncidentFigures(
        count,
        still_open,
        sum(detect) / len(detect) if detect else None,
        sum(resolve) / len(resolve) if resolve else None,
    )


def last_results(monitor: Monitor, limit: int = 20) -> list[CheckResult]:
    return list(CheckResult.objects.filter(monitor=monitor).order_by("-at")[:limit])


def result_counts(monitor: Monitor, since: datetime) -> dict[str, int | None]:
    agg = CheckResult.objects.filter(monitor=monitor, at__gte=since).aggregate(
        checks=Count("id"), ok=Count("id", filter=Q(ok=True)), ms_max=Max("ms")
    )
    return dict(agg)
