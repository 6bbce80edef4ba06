"""The period's numbers sliced per support line, per agent and per channel, for the
dashboard's charts and the exports: aggregates over the same sets as `reports.kpis`."""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count

from opora.accounts.models import User
from opora.reports import kpis
from opora.reports.kpis import ReportFilter

LEVELS = ("1", "2", "3", "lead")
NOBODY = "-"  # the key of unassigned tickets


def _names(ids: set[int]) -> dict[int, str]:
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids).only("name", "email")}


def created_per_channel(f: ReportFilter) -> dict[str, int]:
    """Tickets created in the period, per channel code."""
    rows = kpis.created_in(f).order_by().values_list("channel").annotate(n=Count("pk"))
    return dict(sorted(rows.values_list("channel", "n")))


def solved_per_line(f: ReportFilter) -> dict[str, int]:
    """Tickets solved in the period, per the support level they were solved at."""
    rows = dict(
        kpis.solved_in(f)
        .order_by()
        .values_list("level")
        .annotate(n=Count("pk"))
        .values_list("level", "n")
    )
    return {level: rows.get(level, 0) for level in LEVELS}


def per_agent(f: ReportFilter) -> dict[str, dict[str, Any]]:
    """Per assignee (by name): tickets solved in the period and their AFRT in hours."""
    solved = dict(
        kpis.solved_in(f)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    afrt = dict(
        kpis.facts(f)
        .filter(first_response_at__gte=f.start, first_response_at__lt=f.end)
        .order_by()
        .values_list("assignee_id")
        .annotate(avg=Avg("first_response_seconds"))
        .values_list("assignee_id", "avg")
    )
    ids = set(solved) | set(afrt)
    names = _names({i for i in ids if i is not None})
    result: dict[str, dict[str, Any]] = {}
    for agent_id in sorted(ids, key=lambda i: (-(solved.get(i) or 0), names.get(i, NOBODY))):
        seconds = afrt.get(agent_id)
        name = NOBODY if agent_id is None else names.get(agent_id, str(agent_id))
        result[name] = {
            "solved": solved.get(agent_id, 0),
            "afrt_hours": None if seconds is None else round(seconds / 3600, 2),
        }
    return result


def breakdowns(f: ReportFilter) -> dict[str, Any]:
    return {
        "created_per_channel": created_per_channel(f),
        "solved_per_line": solved_per_line(f),
        "per_agent": per_agent(f),
    }
