"""KPI reports under /api/v1/reports (agents only): each KPI, all of them, and CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.params.functions import Query

from opora.api.common import ErrorOut, current_user
from opora.reports import kpis
from opora.reports.export import kpis_csv
from opora.reports.selectors import access_reports, build_filter, kpi_group

router = Router(tags=["reports"])
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ReportQuery(Schema):
    start: date | None = None
    end: date | None = None
    team: int | None = None
    agent: int | None = None
    channel: str | None = None
    priority: str | None = None
    organization: int | None = None


def _filter(request: HttpRequest, query: ReportQuery) -> kpis.ReportFilter:
    access_reports(current_user(request))
    return build_filter(**query.model_dump())


@router.get("/reports/kpis", response={200: dict[str, Any], **ERRORS}, summary="Every KPI")
def all_kpis(request: HttpRequest, query: ReportQuery = Query(...)) -> dict[str, Any]:
    f = _filter(request, query)
    return {"start": f.start, "end": f.end, **kpis.all_kpis(f)}


@router.get(
    "/reports/export.csv",
    response=ERRORS,
    summary="Every KPI as CSV",
    openapi_extra={
        "responses": {
            200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
        }
    },
)
def export_csv(request: HttpRequest, query: ReportQuery = Query(...)) -> HttpResponse:
    f = _filter(request, query)
    response = HttpResponse(kpis_csv(kpis.all_kpis(f)), content_type="text/csv; charset=utf-8")
    name = f"opora-kpis-{f.start.date()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    "/reports/{kpi}",
    response={200: dict[str, Any], **ERRORS},
    summary="One KPI group: nst, afrt, solved, by-priority, backlog, csat, cost, trend",
)
def one_kpi(request: HttpRequest, kpi: str, query: ReportQuery = Query(...)) -> dict[str, Any]:
    f = _filter(request, query)
    return {"start": f.start, "end": f.end, **kpi_group(kpi)(f)}
