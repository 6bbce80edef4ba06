"""SLA state, escalation, time tracking, ratings and the development hand-off: thin handlers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from opora.api.common import ErrorOut, current_user
from opora.core import jsonin
from opora.feedback.actions import rate_ticket
from opora.feedback.models import Rating
from opora.feedback.selectors import ticket_rating
from opora.sla import actions
from opora.sla.selectors import (
    access_desk_ticket,
    entry_cost,
    ticket_sla,
    time_log,
    verify_dev_callback,
)
from opora.sla.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from opora.tickets import actions as ticket_actions
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket

router = Router(tags=["sla"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class SlaOut(Schema):
    policy: str | None
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
