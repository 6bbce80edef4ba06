"""The KPI dashboard page: filters, numbers, charts and a CSV link (agents only)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opora.accounts.models import Organization, Team, User
from opora.core.errors import OporaError
from opora.core.numbers import parse_id
from opora.reports import charts, kpis
from opora.reports.selectors import access_reports, build_filter
from opora.tickets.models import Channel, Priority

FILTER_KEYS = ("start", "end", "team", "agent", "channel", "priority", "organization")


def _int(value: str | None) -> int | None:
    return parse_id(value)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        access_reports(user)
    except OporaError as exc:
        return HttpResponse(exc.message, status=403)
    params = request.GET
    context: dict[str, Any] = {
        "teams": Team.objects.order_by("name"),
        "agents": User.objects.filter(role__in=["agent", "admin"], is_active=True).order_by("name"),
        "organizations": Organization.objects.order_by("name"),
        "channels": Channel.choices,
        "priorities": [(p.code, p.label) for p in Priority],
        "selected": {k: params.get(k, "") for k in FILTER_KEYS},
    }
    try:
        f = build_filter(
            start=_date(params.get("start")),
            end=_date(params.get("end")),
            team=_int(params.get("team")),
            agent=_int(params.get("agent")),
            channel=params.get("channel") or None,
            priority=params.get("priority") or None,
            organization=_int(params.get("organization")),
        )
    except OporaError as exc:
        context["error"] = exc.message
        return render(request, "reports/dashboard.html", context, status=422)
    data = kpis.all_kpis(f)
    query = {k: v for k, v in context["selected"].items() if v}
    context.update(
        data=data,
        period=(f.start.date(), f.end.date() - timedelta(days=1)),
        csv_url="/api/v1/reports/export.csv?" + urlencode(query),
        trend_chart=charts.line_chart(
            [d["day"] for d in data["trend"]],
            {
                "created": [d["created"] for d in data["trend"]],
                "solved": [d["solved"] for d in data["trend"]],
            },
            title="Created and solved per day",
        ),
        priority_chart=charts.bar_chart(data["solved_by_priority"], title="Solved by priority"),
        line_chart=charts.bar_chart(
            data["hours_per_line"], title="Hours per support line", unit="h"
        ),
        csat_chart=charts.bar_chart(
            {k: float(v) for k, v in data["csat_distribution"].items()}, title="CSAT scores"
        ),
    )
    return render(request, "reports/dashboard.html", context)
