"""The audit log: every administrator's change, newest first (admins only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.params.functions import Query

from opora.api.common import ErrorOut, current_user, decode_cursor, encode_cursor
from opora.core import audit_log
from opora.core.models import AdminChange

router = Router(tags=["audit"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


class ActorOut(Schema):
    id: int
    name: str
    email: str


class AuditChangeOut(Schema):
    id: int
    at: datetime
    actor: ActorOut | None = Field(description="null: the system, or a deleted account")
    area: str = Field(description="people, service, channels, kb, bot, security…")
    action: str = Field(description="created, changed, deleted…")
    target_type: str
    target_id: str
    target_label: str
    changes: dict[str, Any] = Field(
        description='{"field": [before, after]} for a change; the fields for a creation'
    )


class AuditPage(Schema):
    items: list[AuditChangeOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next (older) page")


def change_out(row: AdminChange) -> dict[str, Any]:
    actor = row.actor
    return {
        "id": row.pk,
        "at": row.at,
        "actor": {"id": actor.pk, "name": actor.display_name, "email": actor.email}
        if actor is not None
        else None,
        "area": row.area,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "target_label": row.target_label,
        "changes": row.changes or {},
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@router.get(
    "/audit",
    response={200: AuditPage, **ERRORS},
    summary="The audit log of administrators' changes, newest first (admins)",
    operation_id="opora_api_audit_list",
)
def list_changes(
    request: HttpRequest,
    area: str = Query("", max_length=40),
    actor: int | None = Query(None, ge=1, description="id of the person who made the change"),
    target_type: str = Query("", max_length=60),
    start: date | None = Query(None, description="first day, inclusive (UTC)"),
    end: date | None = Query(None, description="last day, inclusive (UTC)"),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> dict[str, Any]:
    audit_log.require_audit_reader(current_user(request))
    before = None
    if cursor:
        at, pk = decode_cursor(cursor, length=2)
        try:
            moment = datetime.fromisoformat(str(at))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None or not isinstance(pk, int):
            decode_cursor("", length=2)  # answers "invalid cursor"
            raise AssertionError  # unreachable
        before = (moment, pk)
    found = audit_log.AuditFilter(
        area=area,
        actor=actor,
        target_type=target_type,
        start=_midnight(start) if start else None,
        end=_midnight(end + timedelta(days=1)) if end else None,
    )
    rows = list(audit_log.changes(found, before=before)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return {
        "items": [change_out(r) for r in rows],
        "next_cursor": encode_cursor([last.at.isoformat(), last.pk]) if more and last else None,
    }
