"""The KPI dashboard (tiles, comparison, charts, exports, the digest setting) and the
drill-down list of the tickets behind a number: agents only, in the agent layout."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opora.accounts.models import Organization, Team, User
from opora.core.errors import OporaError, ValidationFailed
from opora.core.numbers import parse_id
from opora.crm.models import Target
from opora.crm.selectors import definitions
from opora.reports import breakdowns, charts, drilldown, errors, kpis
from opora.reports.actions import set_weekly_digest
from opora.reports.panels import Panel, panels_for
from opora.reports.selectors import (
    access_digest,
    access_reports,
    build_filter,
    custom_field_filters,
    may_get_digest,
    wants_digest,
)
from opora.reports.tiles import build_tiles, number, previous_period
from opora.tickets.models import Channel, Priority
from opora.tickets.selectors import visible_tickets

FILTER_KEYS = (
    "start",
    "end",
    "team",
    "agent",
    "channel",
    "priority",
    "organization",
    "field_key",
    "field_value",
)
TICKETS_PAGE = 50
LINE_LABELS = {
    "1": gettext_lazy("1st line"),
    "2": gettext_lazy("2nd line"),
    "3": gettext_lazy("3rd line"),
    "lead": gettext_lazy("Team lead"),
}


def _bad(field: str) -> ValidationFailed:
    return ValidationFailed(
        errors.INVALID_FILTER, _("This filter value is not valid."), field=field
    )


def _date(params: QueryDict, key: str) -> date | None:
    value = params.get(key, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(key) from None


def _id(params: QueryDict, key: str) -> int | None:
    value = params.get(key, "").strip()
    if not value:
        return None
    found = parse_id(value)
    if found is None:
        raise _bad(key)
    return found


def field_terms(params: QueryDict) -> list[str]:
    """The page's custom field filter (a field and a value) as the API's key:value."""
    key = params.get("field_key", "").strip()
    return [f"{key}:{params.get('field_value', '').strip()}"] if key else []


def parse_filter(params: QueryDict, user: User) -> kpis.ReportFilter:
    """The report filter of a page's query string; ValidationFailed for a value that
    is present but not valid (a typo must not silently show every ticket)."""
    return build_filter(
        fields=custom_field_filters(user, field_terms(params)),
        start=_date(params, "start"),
        end=_date(params, "end"),
        team=_id(params, "team"),
        agent=_id(params, "agent"),
        channel=params.get("channel") or None,
        priority=params.get("priority") or None,
        organization=_id(params, "organization"),
    )


def _query(f: kpis.ReportFilter, params: QueryDict) -> dict[str, str]:
    """The filters as a link carries them: the period spelled out, the slices as given."""
    last = f.end.date() - timedelta(days=1)
    query = {"start": f.start.date().isoformat(), "end": last.isoformat()}
    for key in FILTER_KEYS[2:]:
        value = params.get(key, "")
        if value:
            query[key] = value
    return query


def _viewer(request: HttpRequest) -> User | HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        access_reports(user)
    except OporaError as exc:
        # The app's own 403 page (templates/403.html), with the reason.
        raise PermissionDenied(exc.message) from None
    return user


def _choices(params: QueryDict) -> dict[str, Any]:
    return {
        "nav": "reports",
        "teams": Team.objects.order_by("name"),
        "agents": User.objects.filter(role__in=["agent", "admin"], is_active=True).order_by("name"),
        "organizations": Organization.objects.order_by("name"),
        "channels": Channel.choices,
        "priorities": [(p.code, p.label) for p in Priority],
        "selected": {k: params.get(k, "") for k in FILTER_KEYS},
        "ticket_fields": _ticket_fields(),
    }


def _ticket_fields() -> list[dict[str, Any]]:
    """The ticket custom fields a report can be sliced by, labelled in the reader's
    language, with a dropdown's options (offered as suggestions for the value)."""
    language = get_language() or "en"
    return [
        {
            "key": d.key,
            "label": d.label(language),
            "options": [
                (str(o.get("value")), d.option_label(str(o.get("value")), language))
                for o in d.options
            ],
        }
        for d in definitions(Target.TICKET)
    ]


def _count(value: float) -> str:
    return number(int(value)) if float(value).is_integer() else number(value)


def _agent(name: str) -> str:
    return _("Unassigned") if name == breakdowns.NOBODY else name


def _charts(data: dict[str, Any], parts: dict[str, Any]) -> dict[str, Any]:
    """Every chart of the page, titles, labels and legends in the reader's language."""
    trend = data["trend"]
    channels = dict(Channel.choices)
    agents = parts["per_agent"]
    return {
        "trend_chart": charts.line_chart(
            [date_format(date.fromisoformat(d["day"]), "SHORT_DATE_FORMAT") for d in trend],
            {
                "created": (pgettext("chart legend", "Created"), [d["created"] for d in trend]),
                "solved": (pgettext("chart legend", "Solved"), [d["solved"] for d in trend]),
            },
            title=_("Created and solved per day"),
            fmt=_count,
        ),
        "priority_chart": charts.bar_chart(
            data["solved_by_priority"],
            title=_("Solved by priority"),
            fmt=_count,
            labels={p.code: str(p.label) for p in Priority},
        ),
        "line_chart": charts.bar_chart(
            data["hours_per_line"],
            title=_("Hours per support line"),
            unit=" " + _("h"),
            fmt=lambda v: number(v, 1),
            labels={k: str(v) for k, v in LINE_LABELS.items()},
        ),
        "solved_line_chart": charts.bar_chart(
            {k: float(v) for k, v in parts["solved_per_line"].items()},
            title=_("Solved per support line"),
            fmt=_count,
            labels={k: str(v) for k, v in LINE_LABELS.items()},
        ),
        "channel_chart": charts.bar_chart(
            {k: float(v) for k, v in parts["created_per_channel"].items()},
            title=_("Tickets per channel"),
            fmt=_count,
            labels={k: str(channels.get(k, k)) for k in parts["created_per_channel"]},
        ),
        "agent_solved_chart": charts.hbar_chart(
            {_agent(name): float(v["solved"]) for name, v in agents.items()},
            title=_("Solved per agent"),
            fmt=_count,
        ),
        "agent_afrt_chart": charts.hbar_chart(
            {_agent(name): v["afrt_hours"] for name, v in agents.items()},
            title=_("AFRT per agent"),
            unit=" " + _("h"),
            fmt=lambda v: number(v, 2),
        ),
        "csat_chart": charts.bar_chart(
            {k: float(v) for k, v in data["csat_distribution"].items()},
            title=_("CSAT scores"),
            fmt=_count,
        ),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    if isinstance(user, HttpResponse):
        return user
    params = request.GET
    context = _choices(params)
    context.update(
        digest_allowed=may_get_digest(user),
        digest_on=may_get_digest(user) and wants_digest(user),
    )
    try:
        f = parse_filter(params, user)
    except OporaError as exc:
        context["error"] = exc.message
        return render(request, "reports/dashboard.html", context, status=422)
    data = kpis.all_kpis(f)
    before = previous_period(f)
    parts = breakdowns.breakdowns(f)
    query = _query(f, params)
    context["selected"].update(start=query["start"], end=query["end"])
    counts = {"breached": drilldown.drill("breached", f).count()}
    exported = urlencode(
        [(k, v) for k, v in query.items() if v and not k.startswith("field_")]
        + [("field", term) for term in field_terms(params)]
    )
    context.update(
        data=data,
        tiles=build_tiles(data, kpis.all_kpis(before), query, counts),
        period=(f.start.date(), f.end.date() - timedelta(days=1)),
        previous=(before.start.date(), before.end.date() - timedelta(days=1)),
        csv_url="/api/v1/reports/export.csv?" + exported,
        xlsx_url="/api/v1/reports/export.xlsx?" + exported,
        panels=[_panel_chart(panel) for panel in panels_for(f, user)],
        **_charts(data, parts),
    )
    return render(request, "reports/dashboard.html", context)


def _panel_chart(panel: Panel) -> tuple[Panel, SafeString]:
    chart = charts.hbar_chart(
        panel.bars, title=panel.title, unit=panel.unit, fmt=lambda v: number(v, panel.digits)
    )
    return panel, chart


@login_required
def tickets(request: HttpRequest) -> HttpResponse:
    """The tickets behind one number of the dashboard, with the same filters."""
    user = _viewer(request)
    if isinstance(user, HttpResponse):
        return user
    params = request.GET
    context = _choices(params)
    kpi = params.get("kpi", "")
    try:
        if kpi not in drilldown.DRILLS:
            raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown report list."), field="kpi")
        f = parse_filter(params, user)
    except OporaError as exc:
        context["error"] = exc.message
        return render(request, "reports/tickets.html", context, status=422)
    behind = drilldown.drill(kpi, f)
    shown = behind.filter(pk__in=visible_tickets(user).values("pk"))
    total = behind.count()
    rows = shown.select_related("team", "assignee").order_by("-created_at", "-id")
    page = Paginator(rows, TICKETS_PAGE).get_page(params.get("page"))
    query = _query(f, params)
    context["selected"].update(start=query["start"], end=query["end"])
    context.update(
        kpi=kpi,
        heading=drilldown.title(kpi),
        page=page,
        total=total,
        hidden=total - page.paginator.count,
        period=(f.start.date(), f.end.date() - timedelta(days=1)),
        back_url="/reports/?" + urlencode(query),
    )
    return render(request, "reports/tickets.html", context)


@login_required
@require_POST
def digest_setting(request: HttpRequest) -> HttpResponse:
    """The dashboard's checkbox: the weekly digest on or off (leads and admins)."""
    user = _viewer(request)
    if isinstance(user, HttpResponse):
        return user
    try:
        access_digest(user)
    except OporaError as exc:
        return HttpResponse(exc.message, status=403)
    enabled = request.POST.get("weekly_digest") == "on"
    set_weekly_digest(user, enabled=enabled)
    messages.success(
        request,
        _("The weekly digest is on.") if enabled else _("The weekly digest is off."),
    )
    return redirect("/reports/#digest")
