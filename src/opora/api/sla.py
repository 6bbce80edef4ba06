"""SLA state, escalation, time tracking, ratings and the development hand-off: thin handlers."""

from __future__ import annotations

from datetime import date as date_type
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from opora.accounts.models import User
from opora.accounts.tokens import ADMIN
from opora.api.common import ErrorOut, StrictInput, current_user, needs_scope
from opora.core import jsonin
from opora.feedback.actions import rate_ticket
from opora.feedback.models import Rating
from opora.feedback.selectors import ticket_rating
from opora.sla import actions, lines, selectors, service
from opora.sla.models import BusinessCalendar, EscalationRule, SlaPolicy
from opora.sla.selectors import (
    access_desk_ticket,
    entry_cost,
    ticket_sla,
    time_log,
    verify_dev_callback,
)
from opora.sla.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from opora.tickets import actions as ticket_actions
from opora.tickets.models import Priority, Ticket
from opora.tickets.selectors import access_ticket

router = Router(tags=["sla"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class SlaOut(Schema):
    policy: str | None
    support_hours: str | None = Field(
        description="the business calendar of the requester's contract, when it names "
        "one: the clock runs on it instead of the policy's calendar"
    )
    state: str
    paused: bool
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_seconds: int | None
    resolution_seconds: int | None
    level: str
    escalations: int
    seconds_per_level: dict[str, int]


class EscalateIn(Schema):
    to: str
    reason: str = ""


class TimeIn(Schema):
    minutes: int
    note: str = ""


class TimeEntryOut(Schema):
    id: int
    agent: int
    minutes: int
    started_at: datetime | None
    stopped_at: datetime | None
    note: str
    cost: Decimal


class TimeOut(Schema):
    entries: list[TimeEntryOut]
    total_minutes: int
    total_cost: Decimal
    running: bool


class RatingIn(Schema):
    score: int
    comment: str = ""


class RatingOut(Schema):
    score: int
    comment: str
    created_at: datetime
    updated_at: datetime


class HandoffOut(Schema):
    problem: int
    delivery: str
    attempts: int
    dev_status: str


class DevCallbackIn(Schema):
    problem: int
    status: str
    note: str = ""
    reference: str = ""


def sla_out(ticket: Ticket) -> dict[str, Any]:
    sla = ticket_sla(ticket)
    return {
        "policy": sla.policy.name if sla.policy else None,
        "support_hours": sla.calendar.name if sla.calendar else None,
        "state": sla.state,
        "paused": sla.paused,
        "first_response_due_at": ticket.first_response_due_at,
        "next_response_due_at": sla.next_response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "first_response_seconds": sla.first_response_seconds,
        "resolution_seconds": sla.resolution_seconds,
        "level": sla.level,
        "escalations": sla.escalations,
        "seconds_per_level": {
            "1": sla.line1_seconds,
            "2": sla.line2_seconds,
            "3": sla.line3_seconds,
            "lead": sla.lead_seconds,
        },
    }


@router.get("/tickets/{number}/sla", response={200: SlaOut, **ERRORS}, summary="SLA clock")
def get_sla(request: HttpRequest, number: int) -> dict[str, Any]:
    ticket = access_desk_ticket(current_user(request), number)
    return sla_out(ticket)


@router.post(
    "/tickets/{number}/escalate", response={200: SlaOut, **ERRORS}, summary="Escalate a ticket"
)
def escalate(request: HttpRequest, number: int, payload: EscalateIn) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_desk_ticket(user, number)
    ticket = actions.escalate_ticket(ticket, to=payload.to, reason=payload.reason, by=user)
    return sla_out(ticket)


@router.post(
    "/tickets/{number}/de-escalate",
    response={200: SlaOut, **ERRORS},
    summary="Hand a ticket back down",
)
def de_escalate(request: HttpRequest, number: int, payload: EscalateIn) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_desk_ticket(user, number)
    ticket = actions.de_escalate_ticket(ticket, to=payload.to, reason=payload.reason, by=user)
    return sla_out(ticket)


def _time_out(ticket: Ticket) -> dict[str, Any]:
    log = time_log(ticket)
    return {
        "entries": [
            {
                "id": e.pk,
                "agent": e.agent_id,
                "minutes": e.minutes,
                "started_at": e.started_at,
                "stopped_at": e.stopped_at,
                "note": e.note,
                "cost": entry_cost(e),
            }
            for e in log.entries
        ],
        "total_minutes": log.total_minutes,
        "total_cost": log.total_cost,
        "running": log.running,
    }


@router.get("/tickets/{number}/time", response={200: TimeOut, **ERRORS}, summary="Time logged")
def list_time(request: HttpRequest, number: int) -> dict[str, Any]:
    ticket = access_desk_ticket(current_user(request), number)
    return _time_out(ticket)


@router.post("/tickets/{number}/time", response={201: TimeOut, **ERRORS}, summary="Log time")
def log_time(request: HttpRequest, number: int, payload: TimeIn) -> Status[Any]:
    user = current_user(request)
    ticket = access_desk_ticket(user, number)
    ticket_actions.log_time(ticket, by=user, minutes=payload.minutes, note=payload.note)
    return Status(201, _time_out(ticket))


@router.post(
    "/tickets/{number}/timer/start", response={200: TimeOut, **ERRORS}, summary="Start a timer"
)
def start_timer(request: HttpRequest, number: int) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_desk_ticket(user, number)
    ticket_actions.start_timer(ticket, by=user)
    return _time_out(ticket)


@router.post(
    "/tickets/{number}/timer/stop", response={200: TimeOut, **ERRORS}, summary="Stop the timer"
)
def stop_timer(request: HttpRequest, number: int) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_desk_ticket(user, number)
    ticket_actions.stop_timer(ticket, by=user)
    return _time_out(ticket)


def _rating_out(rating: Rating) -> dict[str, Any]:
    return {
        "score": rating.score,
        "comment": rating.comment,
        "created_at": rating.created_at,
        "updated_at": rating.updated_at,
    }


@router.get("/tickets/{number}/rating", response={200: RatingOut, **ERRORS}, summary="Rating")
def get_rating(request: HttpRequest, number: int) -> dict[str, Any]:
    ticket = access_ticket(current_user(request), number)
    return _rating_out(ticket_rating(ticket))


@router.post(
    "/tickets/{number}/rating", response={200: RatingOut, **ERRORS}, summary="Rate a ticket"
)
def put_rating(request: HttpRequest, number: int, payload: RatingIn) -> dict[str, Any]:
    user = current_user(request)
    ticket = access_ticket(user, number)
    rating = rate_ticket(ticket, by=user, score=payload.score, comment=payload.comment)
    return _rating_out(rating)


@router.post(
    "/tickets/{number}/hand-to-development",
    response={202: HandoffOut, **ERRORS},
    summary="Hand the ticket's problem to development",
)
def hand_to_development(request: HttpRequest, number: int) -> Status[Any]:
    user = current_user(request)
    ticket = access_desk_ticket(user, number)
    handoff = actions.hand_to_development(ticket, by=user)
    return Status(
        202,
        {
            "problem": handoff.problem.number,
            "delivery": handoff.delivery,
            "attempts": handoff.attempts,
            "dev_status": handoff.dev_status,
        },
    )


@router.post(
    "/sla/dev-callback",
    auth=None,
    response={200: HandoffOut, **ERRORS},
    summary="Status callback from development (signed like the webhook)",
)
def dev_callback(request: HttpRequest) -> dict[str, Any]:
    body = request.body
    verify_dev_callback(
        timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
        signature=request.headers.get(SIGNATURE_HEADER, ""),
        body=body,
    )
    try:
        payload = DevCallbackIn.model_validate(jsonin.loads(body))
    except ValueError:
        raise HttpError(400, _("The body must be a JSON object with problem and status.")) from None
    handoff = actions.record_dev_status(
        payload.problem, status=payload.status, note=payload.note, reference=payload.reference
    )
    return {
        "problem": payload.problem,
        "delivery": handoff.delivery,
        "attempts": handoff.attempts,
        "dev_status": handoff.dev_status,
    }


# Service settings: calendars, policies, escalation rules, the support lines' names.
# Agents read them; administrators change them (token scope `admin`).

ADMIN_WRITE = needs_scope(ADMIN)


class DayIn(StrictInput):
    date: str = Field(description="YYYY-MM-DD")
    kind: Literal["holiday", "working", "short"]
    note: str = ""


class DayOut(Schema):
    date: date_type
    kind: str
    note: str


class CalendarIn(StrictInput):
    name: str
    time_zone: str = Field("Europe/Moscow", description="an IANA time zone")
    week: dict[str, list[list[str]]] = Field(
        default_factory=dict,
        description='ISO weekday → intervals, e.g. {"1": [["09:00", "13:00"], ["14:00", "18:00"]]}',
    )
    always_open: bool = False
    is_default: bool = False
    days: list[DayIn] | None = Field(None, description="null: keep the dated days as they are")


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    week: dict[str, list[list[str]]]
    always_open: bool
    is_default: bool
    days: list[DayOut]
    in_use: bool


class LoadedOut(Schema):
    loaded: int
    years: list[int]
    calendar: CalendarOut


class PolicyIn(StrictInput):
    name: str
    calendar: int
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    type: Literal["question", "incident", "problem", "complaint", "suggestion"] | None = None
    organization: int | None = None
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    pause_on_hold: bool = False
    is_active: bool = True


class PolicyOut(Schema):
    id: int
    name: str
    position: int
    priority: str | None
    type: str | None
    organization: int | None
    calendar: int
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    pause_on_hold: bool
    is_active: bool


class OrderIn(StrictInput):
    ids: list[int]


class RuleIn(StrictInput):
    name: str
    to_level: Literal["2", "3", "lead"]
    reason: str
    on_risk: bool = False
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    type: Literal["question", "incident", "problem", "complaint", "suggestion"] | None = None
    organization: int | None = None
    is_active: bool = True


class RuleOut(Schema):
    id: int
    name: str
    position: int
    on_risk: bool
    priority: str | None
    type: str | None
    organization: int | None
    to_level: str
    reason: str
    is_active: bool


class LineNameIn(StrictInput):
    en: str = ""
    ru: str = ""


class LineNameOut(Schema):
    level: str
    en: str
    ru: str
    label_en: str
    label_ru: str


class LineNamesIn(StrictInput):
    names: dict[Literal["1", "2", "3", "lead"], LineNameIn]


def _priority_name(value: int | None) -> str | None:
    return Priority(value).name.lower() if value is not None else None


def _priority_value(name: str | None) -> int | None:
    return Priority.by_name(name).value if name else None


def calendar_out(calendar: BusinessCalendar, *, in_use: set[int] | None = None) -> dict[str, Any]:
    used = in_use if in_use is not None else selectors.calendars_in_use()
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "week": calendar.week or {},
        "always_open": calendar.always_open,
        "is_default": calendar.is_default,
        "days": [
            {"date": d.date, "kind": d.kind, "note": d.name}
            for d in selectors.calendar_days(calendar)
        ],
        "in_use": calendar.pk in used,
    }


def policy_out(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk,
        "name": policy.name,
        "position": policy.position,
        "priority": _priority_name(policy.priority),
        "type": policy.type or None,
        "organization": policy.organization_id,
        "calendar": policy.calendar_id,
        "first_response_minutes": policy.first_response_minutes,
        "next_response_minutes": policy.next_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "pause_on_hold": policy.pause_on_hold,
        "is_active": policy.is_active,
    }


def rule_out(rule: EscalationRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "position": rule.position,
        "on_risk": rule.on_risk,
        "priority": _priority_name(rule.priority),
        "type": rule.type or None,
        "organization": rule.organization_id,
        "to_level": rule.to_level,
        "reason": rule.reason,
        "is_active": rule.is_active,
    }


def _calendar_input(payload: CalendarIn) -> service.CalendarInput:
    return service.CalendarInput(
        name=payload.name,
        time_zone=payload.time_zone,
        week=payload.week,
        always_open=payload.always_open,
        is_default=payload.is_default,
        days=None
        if payload.days is None
        else [service.DayInput(d.date, d.kind, d.note) for d in payload.days],
    )


def _policy_input(payload: PolicyIn) -> service.PolicyInput:
    return service.PolicyInput(
        name=payload.name,
        calendar=payload.calendar,
        priority=_priority_value(payload.priority),
        type=payload.type or "",
        organization=payload.organization,
        first_response_minutes=payload.first_response_minutes,
        next_response_minutes=payload.next_response_minutes,
        resolution_minutes=payload.resolution_minutes,
        pause_on_hold=payload.pause_on_hold,
        is_active=payload.is_active,
    )


def _rule_input(payload: RuleIn) -> service.RuleInput:
    return service.RuleInput(
        name=payload.name,
        to_level=payload.to_level,
        reason=payload.reason,
        on_risk=payload.on_risk,
        priority=_priority_value(payload.priority),
        type=payload.type or "",
        organization=payload.organization,
        is_active=payload.is_active,
    )


def _reader(request: HttpRequest) -> User:
    user = current_user(request)
    selectors.access_service_settings(user)
    return user


@router.get(
    "/sla/calendars", response={200: list[CalendarOut], **ERRORS}, summary="Business calendars"
)
def list_calendars(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    used = selectors.calendars_in_use()
    return [calendar_out(c, in_use=used) for c in selectors.calendars()]


@router.post(
    "/sla/calendars",
    response={201: CalendarOut, **ERRORS},
    summary="Create a business calendar",
    openapi_extra=ADMIN_WRITE,
)
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Status[Any]:
    user = current_user(request)
    calendar = service.save_calendar(_calendar_input(payload), by=user)
    return Status(201, calendar_out(calendar))


@router.get(
    "/sla/calendars/{calendar_id}",
    response={200: CalendarOut, **ERRORS},
    summary="A business calendar",
)
def get_calendar(request: HttpRequest, calendar_id: int) -> dict[str, Any]:
    _reader(request)
    return calendar_out(selectors.access_calendar(calendar_id))


@router.put(
    "/sla/calendars/{calendar_id}",
    response={200: CalendarOut, **ERRORS},
    summary="Change a business calendar",
    openapi_extra=ADMIN_WRITE,
)
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarIn) -> dict[str, Any]:
    user = current_user(request)
    service.require_service_admin(user)
    calendar = selectors.access_calendar(calendar_id)
    return calendar_out(service.save_calendar(_calendar_input(payload), by=user, calendar=calendar))


@router.post(
    "/sla/calendars/{calendar_id}/ru-production-calendar",
    response={200: LoadedOut, **ERRORS},
    summary="Load the Russian production calendar's holidays, transfers and short days",
    openapi_extra=ADMIN_WRITE,
)
def load_ru_calendar(request: HttpRequest, calendar_id: int) -> dict[str, Any]:
    user = current_user(request)
    service.require_service_admin(user)
    calendar = selectors.access_calendar(calendar_id)
    loaded = service.load_ru_production_calendar(calendar, by=user)
    return {
        "loaded": loaded,
        "years": service.production_calendar_years(),
        "calendar": calendar_out(calendar),
    }


@router.delete(
    "/sla/calendars/{calendar_id}",
    response={204: None, **ERRORS},
    summary="Delete a business calendar no policy uses",
    openapi_extra=ADMIN_WRITE,
)
def delete_calendar(request: HttpRequest, calendar_id: int) -> Status[None]:
    user = current_user(request)
    service.require_service_admin(user)
    service.delete_calendar(selectors.access_calendar(calendar_id), by=user)
    return Status(204, None)


@router.get(
    "/sla/policies", response={200: list[PolicyOut], **ERRORS}, summary="SLA policies, in order"
)
def list_policies(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return [policy_out(p) for p in selectors.policies()]


@router.post(
    "/sla/policies",
    response={201: PolicyOut, **ERRORS},
    summary="Create an SLA policy (tried after the others)",
    openapi_extra=ADMIN_WRITE,
)
def create_policy(request: HttpRequest, payload: PolicyIn) -> Status[Any]:
    user = current_user(request)
    return Status(201, policy_out(service.create_policy(_policy_input(payload), by=user)))


@router.post(
    "/sla/policies/order",
    response={200: list[PolicyOut], **ERRORS},
    summary="Put the SLA policies in order (every id once)",
    openapi_extra=ADMIN_WRITE,
)
def order_policies(request: HttpRequest, payload: OrderIn) -> list[dict[str, Any]]:
    user = current_user(request)
    return [policy_out(p) for p in service.order_policies(payload.ids, by=user)]


@router.get(
    "/sla/policies/{policy_id}", response={200: PolicyOut, **ERRORS}, summary="An SLA policy"
)
def get_policy(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    _reader(request)
    return policy_out(selectors.access_policy(policy_id))


@router.put(
    "/sla/policies/{policy_id}",
    response={200: PolicyOut, **ERRORS},
    summary="Change an SLA policy (open tickets are re-clocked)",
    openapi_extra=ADMIN_WRITE,
)
def update_policy(request: HttpRequest, policy_id: int, payload: PolicyIn) -> dict[str, Any]:
    user = current_user(request)
    service.require_service_admin(user)
    policy = selectors.access_policy(policy_id)
    return policy_out(service.update_policy(policy, _policy_input(payload), by=user))


@router.delete(
    "/sla/policies/{policy_id}",
    response={204: None, **ERRORS},
    summary="Delete an SLA policy",
    openapi_extra=ADMIN_WRITE,
)
def delete_policy(request: HttpRequest, policy_id: int) -> Status[None]:
    user = current_user(request)
    service.require_service_admin(user)
    service.delete_policy(selectors.access_policy(policy_id), by=user)
    return Status(204, None)


@router.get(
    "/sla/escalation-rules",
    response={200: list[RuleOut], **ERRORS},
    summary="Escalation rules, in order",
)
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return [rule_out(r) for r in selectors.escalation_rules()]


@router.post(
    "/sla/escalation-rules",
    response={201: RuleOut, **ERRORS},
    summary="Create an escalation rule",
    openapi_extra=ADMIN_WRITE,
)
def create_rule(request: HttpRequest, payload: RuleIn) -> Status[Any]:
    user = current_user(request)
    return Status(201, rule_out(service.create_rule(_rule_input(payload), by=user)))


@router.get(
    "/sla/escalation-rules/{rule_id}",
    response={200: RuleOut, **ERRORS},
    summary="An escalation rule",
)
def get_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    _reader(request)
    return rule_out(selectors.access_rule(rule_id))


@router.put(
    "/sla/escalation-rules/{rule_id}",
    response={200: RuleOut, **ERRORS},
    summary="Change an escalation rule",
    openapi_extra=ADMIN_WRITE,
)
def update_rule(request: HttpRequest, rule_id: int, payload: RuleIn) -> dict[str, Any]:
    user = current_user(request)
    service.require_service_admin(user)
    rule = selectors.access_rule(rule_id)
    return rule_out(service.update_rule(rule, _rule_input(payload), by=user))


@router.delete(
    "/sla/escalation-rules/{rule_id}",
    response={204: None, **ERRORS},
    summary="Delete an escalation rule",
    openapi_extra=ADMIN_WRITE,
)
def delete_rule(request: HttpRequest, rule_id: int) -> Status[None]:
    user = current_user(request)
    service.require_service_admin(user)
    service.delete_rule(selectors.access_rule(rule_id), by=user)
    return Status(204, None)


def _line_names() -> list[dict[str, Any]]:
    named = lines.custom_names()
    english, russian = lines.level_labels("en"), lines.level_labels("ru")
    return [
        {
            "level": level,
            "en": named.get(level, ("", ""))[0],
            "ru": named.get(level, ("", ""))[1],
            "label_en": english[level],
            "label_ru": russian[level],
        }
        for level in lines.LEVELS
    ]


@router.get(
    "/sla/line-names",
    response={200: list[LineNameOut], **ERRORS},
    summary="The support lines' names (empty: the built-in label)",
)
def get_line_names(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return _line_names()


@router.put(
    "/sla/line-names",
    response={200: list[LineNameOut], **ERRORS},
    summary="Name the support lines in English and Russian",
    openapi_extra=ADMIN_WRITE,
)
def put_line_names(request: HttpRequest, payload: LineNamesIn) -> list[dict[str, Any]]:
    user = current_user(request)
    service.set_line_names(
        {str(level): (name.en, name.ru) for level, name in payload.names.items()}, by=user
    )
    return _line_names()
