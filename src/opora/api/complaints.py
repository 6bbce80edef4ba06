"""Complaints: a ticket's complaint (recognition, deadline, resolution), the desk's
complaint rules and root causes, VIP organizations, and the report."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.params.functions import Query

from opora.accounts.models import User
from opora.accounts.selectors import require_agent
from opora.accounts.tokens import TICKETS
from opora.api.common import ErrorOut, StrictInput, current_user, needs_scope
from opora.complaints import actions, errors, report
from opora.complaints.models import Complaint, RootCause
from opora.complaints.selectors import (
    access_complaint,
    access_report,
    access_settings,
    complaint_settings,
    root_causes,
    view_of,
)
from opora.core import clock
from opora.core.errors import NotFound, ValidationFailed
from opora.tickets.selectors import access_ticket

router = Router(tags=["complaints"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MAX_REPORT_DAYS = 731


class SignalOut(Schema):
    kind: str = Field(description="complaint, authority, leaving, dissatisfied, staff, ...")
    words: str


class ComplaintOut(Schema):
    ticket: int = Field(description="the ticket's number")
    is_complaint: bool
    confidence: float = Field(description="the detector's confidence on the first message")
    signals: list[SignalOut]
    source: str | None = Field(description="customer, detected or agent; null: no complaint")
    opened_at: str | None
    due_at: str | None
    overdue: bool
    acknowledged_at: str | None
    escalations: list[str] = Field(description="repeat (complainer), vip (organization)")
    root_cause: str | None
    justified: bool | None
    about_agent: int | None
    restricted: bool = Field(description="about an agent: team leads and admins only")
    resolved_at: str | None


class ResolutionIn(StrictInput):
    root_cause: str = Field(max_length=40)
    justified: bool | None = None
    about_agent: int | None = Field(None, description="the agent it is about, if any")
    solve: bool = Field(True, description="solve the ticket with it (default)")


class AboutAgentIn(StrictInput):
    about_agent: int | None


class SettingsOut(Schema):
    deadline_days: int
    reminder_hours: list[int]
    team: int | None
    repeat_threshold: int
    repeat_days: int
    detection_threshold: float


class SettingsIn(StrictInput):
    deadline_days: int | None = Field(None, ge=1, le=actions.MAX_DEADLINE_DAYS)
    reminder_hours: list[int] | None = Field(None, max_length=actions.MAX_REMINDERS)
    team: int | None = Field(
        None, description="the complaints team; null: the lead of the ticket's team"
    )
    repeat_threshold: int | None = Field(None, ge=0, le=actions.MAX_REPEAT_THRESHOLD)
    repeat_days: int | None = Field(None, ge=1, le=actions.MAX_REPEAT_DAYS)
    detection_threshold: float | None = Field(None, ge=0.05, le=1.0)


class RootCauseOut(Schema):
    key: str
    name_en: str
    name_ru: str
    about_agent: bool
    active: bool
    position: int


class RootCauseIn(StrictInput):
    key: str = Field(max_length=40)
    name_en: str = Field(max_length=120)
    name_ru: str = Field(max_length=120)
    about_agent: bool = False
    active: bool = True
    position: int | None = Field(None, ge=0, le=1000)


class RootCauseChangeIn(StrictInput):
    name_en: str | None = Field(None, max_length=120)
    name_ru: str | None = Field(None, max_length=120)
    about_agent: bool | None = None
    active: bool | None = None
    position: int | None = Field(None, ge=0, le=1000)


class VipIn(StrictInput):
    vip: bool


class VipOut(Schema):
    organization: int
    vip: bool


class CauseOut(Schema):
    key: str
    name: str
    count: int
    justified: int


class WeekOut(Schema):
    week: date = Field(description="the week's Monday")
    opened: int
    resolved: int


class ReportOut(Schema):
    start: date
    end: date
    opened: int
    resolved: int
    unresolved: int
    by_root_cause: list[CauseOut]
    justified: int
    not_justified: int
    justified_share: float | None
    weeks: list[WeekOut]
    on_time: int
    late: int
    on_time_share: float | None
    overdue_open: int
    median_hours_to_resolve: float | None
    median_deadline_hours: float | None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def complaint_out(number: int, user: User) -> dict[str, Any]:
    ticket = access_ticket(user, number)
    view = view_of(ticket)
    found: Complaint | None = view.complaint
    if found is not None:
        access_complaint(user, ticket)  # a complaint about an agent: leads and admins
    return {
        "ticket": ticket.number,
        "is_complaint": view.is_complaint,
        "confidence": view.confidence,
        "signals": [{"kind": k, "words": w} for k, w in view.signals],
        "source": found.source if found else None,
        "opened_at": _iso(found.opened_at) if found else None,
        "due_at": _iso(found.due_at) if found else None,
        "overdue": view.overdue,
        "acknowledged_at": _iso(found.acknowledged_at) if found else None,
        "escalations": list(found.escalations) if found else [],
        "root_cause": found.root_cause.key if found and found.root_cause else None,
        "justified": found.justified if found else None,
        "about_agent": found.about_agent_id if found else None,
        "restricted": bool(found and found.restricted),
        "resolved_at": _iso(found.resolved_at) if found else None,
    }


@router.get(
    "/tickets/{number}/complaint",
    response={200: ComplaintOut, **ERRORS},
    summary="A ticket's complaint: whether it is one, the detector's confidence, deadline",
    operation_id="opora_api_complaint",
)
def complaint(request: HttpRequest, number: int) -> dict[str, Any]:
    user = current_user(request)
    require_agent(user)
    return complaint_out(number, user)


@router.post(
    "/tickets/{number}/complaint/resolution",
    response={200: ComplaintOut, **ERRORS},
    summary="Resolve a complaint: root cause, justified or not, and (by default) solve it",
    operation_id="opora_api_complaint_resolve",
    openapi_extra=needs_scope(TICKETS),
)
def resolve(request: HttpRequest, number: int, payload: ResolutionIn) -> dict[str, Any]:
    user = current_user(request)
    require_agent(user)
    ticket = access_ticket(user, number)
    if view_of(ticket).complaint is not None:
        access_complaint(user, ticket)
    actions.resolve(
        ticket,
        actions.Resolution(
            root_cause=payload.root_cause,
            justified=payload.justified,
            about_agent=payload.about_agent,
            solve=payload.solve,
        ),
        by=user,
    )
    return complaint_out(number, user)


@router.post(
    "/tickets/{number}/complaint/about-agent",
    response={200: ComplaintOut, **ERRORS},
    summary="Name the agent a complaint is about (then only leads and admins see it)",
    operation_id="opora_api_complaint_about_agent",
    openapi_extra=needs_scope(TICKETS),
)
def about_agent(request: HttpRequest, number: int, payload: AboutAgentIn) -> dict[str, Any]:
    user = current_user(request)
    require_agent(user)
    ticket = access_ticket(user, number)
    access_complaint(user, ticket)
    saved = actions.set_about_agent(ticket, payload.about_agent, by=user)
    if saved.restricted and not (user.is_admin or user.is_team_lead):
        raise NotFound(_("complaint"))  # written, and now out of this agent's sight
    return complaint_out(number, user)


@router.get(
    "/complaints/settings",
    response={200: SettingsOut, **ERRORS},
    summary="The complaint rules: deadline, reminders, team, repeat complainers (admins)",
    operation_id="opora_api_complaint_settings",
)
def get_settings(request: HttpRequest) -> dict[str, Any]:
    access_settings(current_user(request))
    return actions.settings_out(complaint_settings())


@router.put(
    "/complaints/settings",
    response={200: SettingsOut, **ERRORS},
    summary="Change the complaint rules (admins; audited)",
    operation_id="opora_api_complaint_settings_update",
)
def put_settings(request: HttpRequest, payload: SettingsIn) -> dict[str, Any]:
    user = current_user(request)
    access_settings(user)
    given = payload.model_fields_set
    saved = actions.configure(
        actions.SettingsChanges(
            deadline_days=payload.deadline_days,
            reminder_hours=payload.reminder_hours,
            team=payload.team,
            clear_team="team" in given and payload.team is None,
            repeat_threshold=payload.repeat_threshold,
            repeat_days=payload.repeat_days,
            detection_threshold=payload.detection_threshold,
        ),
        by=user,
    )
    return actions.settings_out(saved)


def _cause_out(cause: RootCause) -> dict[str, Any]:
    return {
        "key": cause.key,
        "name_en": cause.name_en,
        "name_ru": cause.name_ru,
        "about_agent": cause.about_agent,
        "active": cause.active,
        "position": cause.position,
    }


@router.get(
    "/complaints/root-causes",
    response={200: list[RootCauseOut], **ERRORS},
    summary="The root causes a complaint is solved with (agents; inactive ones too)",
    operation_id="opora_api_complaint_root_causes",
)
def list_root_causes(request: HttpRequest) -> list[dict[str, Any]]:
    require_agent(current_user(request))
    return [_cause_out(c) for c in root_causes(active_only=False)]


@router.post(
    "/complaints/root-causes",
    response={201: RootCauseOut, **ERRORS},
    summary="Add a root cause (admins; audited)",
    operation_id="opora_api_complaint_root_cause_create",
)
def add_root_cause(request: HttpRequest, payload: RootCauseIn) -> Status[Any]:
    user = current_user(request)
    access_settings(user)
    cause = actions.add_root_cause(
        payload.key,
        actions.RootCauseInput(
            name_en=payload.name_en,
            name_ru=payload.name_ru,
            about_agent=payload.about_agent,
            active=payload.active,
            position=payload.position,
        ),
        by=user,
    )
    return Status(201, _cause_out(cause))


@router.patch(
    "/complaints/root-causes/{key}",
    response={200: RootCauseOut, **ERRORS},
    summary="Rename, reorder, retire a root cause or mark it about an agent (admins; audited)",
    operation_id="opora_api_complaint_root_cause_update",
)
def change_root_cause(request: HttpRequest, key: str, payload: RootCauseChangeIn) -> dict[str, Any]:
    user = current_user(request)
    access_settings(user)
    cause = actions.change_root_cause(
        key[:40],
        actions.RootCauseInput(
            name_en=payload.name_en,
            name_ru=payload.name_ru,
            about_agent=payload.about_agent,
            active=payload.active,
            position=payload.position,
        ),
        by=user,
    )
    return _cause_out(cause)


@router.put(
    "/complaints/organizations/{organization_id}",
    response={200: VipOut, **ERRORS},
    summary="Mark an organization VIP for complaints: its complaints are escalated (admins)",
    operation_id="opora_api_complaint_vip",
)
def put_vip(request: HttpRequest, organization_id: int, payload: VipIn) -> dict[str, Any]:
    user = current_user(request)
    access_settings(user)
    care = actions.set_vip(organization_id, payload.vip, by=user)
    return {"organization": care.organization_id, "vip": care.vip}


@router.get(
    "/complaints/report",
    response={200: ReportOut, **ERRORS},
    summary="Complaints by root cause, justified share, weekly trend, time vs deadline",
    operation_id="opora_api_complaint_report",
)
def complaint_report(
    request: HttpRequest,
    start: date | None = Query(None, description="first day, inclusive (UTC)"),
    end: date | None = Query(None, description="last day, inclusive (UTC)"),
) -> dict[str, Any]:
    user = current_user(request)
    access_report(user)
    end = end or clock.now().date()
    start = start or end - timedelta(days=89)
    if end < start:
        raise ValidationFailed(
            errors.OUT_OF_RANGE, _("The end comes before the start."), field="end"
        )
    if (end - start).days > MAX_REPORT_DAYS:
        raise ValidationFailed(
            errors.OUT_OF_RANGE, _("At most two years at a time."), field="start"
        )
    found = report.build(start, end, language=translation.get_language() or "en")
    return {
        **found.__dict__,
        "by_root_cause": [c.__dict__ for c in found.by_root_cause],
        "weeks": [w.__dict__ for w in found.weeks],
    }
