"""KPI reports under /api/v1/reports (agents only): each KPI, all of them, CSV and XLSX,
the tickets behind a number, and the weekly digest setting of leads and admins."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.params.functions import Query

from opora.api.common import ErrorOut, StrictInput, current_user
from opora.core.errors import ValidationFailed
from opora.reports import breakdowns, drilldown, errors, kpis
from opora.reports.actions import set_weekly_digest
from opora.reports.export import kpis_csv, kpis_xlsx
from opora.reports.selectors import (
    access_digest,
    access_reports,
    build_filter,
    custom_field_filters,
    kpi_group,
    wants_digest,
)
from opora.tickets.models import Priority
from opora.tickets.selectors import visible_tickets

router = Router(tags=["reports"])
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TICKETS_PAGE = 50


class ReportQuery(Schema):
    start: date | None = None
    end: date | None = None
    team: int | None = None
    agent: int | None = None
    channel: str | None = None
    priority: str | None = None
    organization: int | None = None
    field: list[str] = Field(
        [],
        description="key:value, the tickets whose custom field `key` equals `value` "
        "(repeat for several); e.g. field=order_kind:return",
    )


class DrillQuery(ReportQuery):
    kpi: str = Field(description=", ".join(drilldown.DRILLS))
    page: int = Field(1, ge=1, le=1_000_000)


class TicketRow(Schema):
    number: int
    subject: str
    status: str
    priority: str
    channel: str
    team: int | None
    assignee: int | None
    created_at: datetime
    url: str


class DrillOut(Schema):
    kpi: str
    start: datetime
    end: datetime
    count: int = Field(description="tickets behind the number (the tile's count)")
    hidden: int = Field(description="of them, tickets of teams the caller is not in")
    page: int
    pages: int
    items: list[TicketRow]


class DigestOut(Schema):
    weekly_digest: bool = Field(description="e-mail me the weekly KPI digest on Monday")


class DigestIn(StrictInput):
    weekly_digest: bool


def _filter(request: HttpRequest, query: ReportQuery) -> kpis.ReportFilter:
    user = current_user(request)
    access_reports(user)
    fields = query.model_dump(include=set(ReportQuery.model_fields) - {"field"})
    return build_filter(**fields, fields=custom_field_filters(user, query.field))


def _file(request: HttpRequest, query: ReportQuery, kind: str) -> HttpResponse:
    f = _filter(request, query)
    data, parts = kpis.all_kpis(f), breakdowns.breakdowns(f)
    if kind == "csv":
        response = HttpResponse(kpis_csv(data, parts), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(kpis_xlsx(data, parts), content_type=XLSX)
    name = f"opora-kpis-{f.start.date()}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/reports/kpis", response={200: dict[str, Any], **ERRORS}, summary="Every KPI")
def all_kpis(request: HttpRequest, query: ReportQuery = Query(...)) -> dict[str, Any]:
    f = _filter(request, query)
    return {"start": f.start, "end": f.end, **kpis.all_kpis(f)}


def _file_doc(media: str, description: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {
                "description": description,
                "content": {media: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


@router.get(
    "/reports/export.csv",
    response=ERRORS,
    summary="Every KPI as CSV",
    openapi_extra=_file_doc("text/csv", "CSV: kpi,key,value rows"),
)
def export_csv(request: HttpRequest, query: ReportQuery = Query(...)) -> HttpResponse:
    return _file(request, query, "csv")


@router.get(
    "/reports/export.xlsx",
    response=ERRORS,
    summary="Every KPI as an Excel workbook (the CSV's rows)",
    openapi_extra=_file_doc(XLSX, "XLSX: one sheet of kpi, key, value rows"),
)
def export_xlsx(request: HttpRequest, query: ReportQuery = Query(...)) -> HttpResponse:
    return _file(request, query, "xlsx")


@router.get(
    "/reports/tickets",
    response={200: DrillOut, **ERRORS},
    summary="The tickets behind a KPI number (drill-down), 50 a page",
)
def drill_tickets(request: HttpRequest, query: DrillQuery = Query(...)) -> dict[str, Any]:
    f = _filter(request, query)
    if query.kpi not in drilldown.DRILLS:
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown report list."), field="kpi")
    behind = drilldown.drill(query.kpi, f)
    shown = behind.filter(pk__in=visible_tickets(current_user(request)).values("pk"))
    total = behind.count()
    rows = shown.order_by("-created_at", "-id")
    paginator = Paginator(rows, TICKETS_PAGE)
    page = paginator.get_page(query.page)
    return {
        "kpi": query.kpi,
        "start": f.start,
        "end": f.end,
        "count": total,
        "hidden": total - paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "items": [
            {
                "number": t.number,
                "subject": t.subject,
                "status": t.status,
                "priority": Priority(t.priority).code,
                "channel": t.channel,
                "team": t.team_id,
                "assignee": t.assignee_id,
                "created_at": t.created_at,
                "url": f"/agent/tickets/{t.number}",
            }
            for t in page.object_list
        ],
    }


@router.get(
    "/reports/digest",
    response={200: DigestOut, **ERRORS},
    summary="My weekly KPI digest setting (team leads and admins)",
)
def get_digest(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    access_digest(user)
    return {"weekly_digest": wants_digest(user)}


@router.put(
    "/reports/digest",
    response={200: DigestOut, **ERRORS},
    summary="Turn my weekly KPI digest on or off (team leads and admins)",
)
def put_digest(request: HttpRequest, payload: DigestIn) -> dict[str, Any]:
    user = current_user(request)
    access_digest(user)
    return {"weekly_digest": set_weekly_digest(user, enabled=payload.weekly_digest)}


@router.get(
    "/reports/{kpi}",
    response={200: dict[str, Any], **ERRORS},
    summary="One KPI group: nst, afrt, solved, by-priority, backlog, csat, cost, trend",
)
def one_kpi(request: HttpRequest, kpi: str, query: ReportQuery = Query(...)) -> dict[str, Any]:
    f = _filter(request, query)
    return {"start": f.start, "end": f.end, **kpi_group(kpi)(f)}
