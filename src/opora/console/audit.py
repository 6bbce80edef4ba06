"""The audit log screen: every administrator's change, newest first, filtered by area,
actor, target type and dates, with each field's value before and after; a CSV export
of the same filter. The API's `GET /api/v1/audit` reads the same `core.audit_log`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from opora.accounts.models import User
from opora.console.access import section_required
from opora.console.context import console_context
from opora.core import audit_log
from opora.core.models import AdminChange
from opora.core.numbers import parse_id

PAGE_SIZE = 50
CSV_LIMIT = 100_000
audit_section = section_required("audit")

# Where a target of each type is shown, when there is such a page: (URL name, how the
# id goes into it). Types of screens not built yet have no link.
TARGET_PAGES: dict[str, tuple[str, str]] = {
    "mailbox": ("console:channels_mailbox", "arg"),
    "bot_settings": ("console:bot", "none"),
    "article": ("console:kb_article", "arg"),
    "category": ("console:kb_category", "arg"),
    "delivery": ("console:outbox_message", "arg"),
    "chatwidget": ("agent:chat_widget", "arg"),
}


def target_link(change: AdminChange) -> str:
    page = TARGET_PAGES.get(change.target_type)
    if page is None or not change.target_id.isdigit() or change.action == "deleted":
        return ""
    name, how = page
    try:
        return reverse(name, args=[int(change.target_id)]) if how == "arg" else reverse(name)
    except NoReverseMatch:
        return ""


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filter(request: HttpRequest) -> tuple[audit_log.AuditFilter, dict[str, str]]:
    start = _day(request.GET.get("start", ""))
    end = _day(request.GET.get("end", ""))
    chosen = {
        "area": request.GET.get("area", "")[:40],
        "actor": str(parse_id(request.GET.get("actor", "")) or ""),
        "target_type": request.GET.get("target_type", "")[:60],
        "start": start.isoformat() if start else "",
        "end": end.isoformat() if end else "",
    }
    found = audit_log.AuditFilter(
        area=chosen["area"],
        actor=parse_id(chosen["actor"]),
        target_type=chosen["target_type"],
        start=datetime.combine(start, time.min, tzinfo=UTC) if start else None,
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC) if end else None,
    )
    return found, chosen


def _cursor(value: str) -> tuple[datetime, int] | None:
    """ "<iso time>_<id>" of the last row shown."""
    at, _, pk = value.rpartition("_")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    found = parse_id(pk)
    return (moment, found) if found is not None and moment.tzinfo is not None else None


@require_GET
@audit_section
def audit_page(request: HttpRequest) -> HttpResponse:
    found, chosen = _filter(request)
    rows = list(
        audit_log.changes(found, before=_cursor(request.GET.get("before", "")))[: PAGE_SIZE + 1]
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("before", None)
    actors = User.objects.filter(
        pk__in=AdminChange.objects.exclude(actor=None).values("actor_id")
    ).order_by("name", "id")
    context = console_context(
        request,
        "audit",
        rows=[(row, target_link(row), audit_log.field_changes(row)) for row in rows],
        chosen=chosen,
        areas=audit_log.areas(),
        target_types=audit_log.target_types(),
        actors=actors,
        query=query.urlencode(),
        next_before=f"{rows[-1].at.isoformat()}_{rows[-1].pk}" if more and rows else "",
    )
    return render(request, "console/audit.html", context)


@require_GET
@audit_section
def audit_csv(request: HttpRequest) -> HttpResponse:
    found, _ = _filter(request)
    rows = audit_log.changes(found)[:CSV_LIMIT].iterator(chunk_size=1000)
    # A page of rows at a time; typed as HttpResponse for the section decorator.
    answer = StreamingHttpResponse(
        audit_log.csv_lines(rows), content_type="text/csv; charset=utf-8"
    )
    answer["Content-Disposition"] = 'attachment; filename="opora-audit.csv"'
    return cast(HttpResponse, answer)
