"""Telephony: phone lines (administrators) and the calls on tickets (agents).

A line's secret is write-only: it is returned once, when generated (`secret` in the
answer to creating a generic line or to `POST …/{id}/secret`), and never again:
answers say `secret_set: true` instead.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field

from opora.api.common import ErrorOut, current_user
from opora.core.errors import NotFound
from opora.telephony import actions
from opora.telephony.models import Call, PhoneLine, Provider
from opora.telephony.selectors import (
    access_call_ticket,
    access_line,
    calls_of,
    open_callbacks,
    visible_lines,
)
from opora.tickets.selectors import visible_tickets

router = Router(tags=["channels"])
calls_router = Router(tags=["calls"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
SECRET_DOC = (
    "generic: the HMAC key (generated when left out); twilio: the account's auth token; "  # noqa: S105
    "zadarma: the API secret. Write-only, never returned after it is saved"
)
PROVIDERS = Literal["generic", "twilio", "zadarma"]
OUTCOMES = Literal["answered", "missed", "voicemail", "busy", "failed"]


class TeamRef(Schema):
    id: int
    name: str


class PhoneLineOut(Schema):
    id: int
    name: str
    provider: PROVIDERS
    secret_set: bool = Field(description="a secret is saved (it is never returned)")
    team: TeamRef | None
    numbers: list[str]
    extensions: str = Field(description='"101 = agent@example.com" lines')
    callback_minutes: int = Field(description="business minutes to call a missed caller back")
    active: bool
    webhook_url: str = Field(description="where the PBX posts this line's events")
    last_error: str
    last_error_at: datetime | None
    last_event_at: datetime | None
    created_at: datetime


class PhoneLineCreated(PhoneLineOut):
    secret: str = Field(description="the saved secret, shown this once")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhoneLineCreate(_In):
    name: str = Field(max_length=120)
    provider: PROVIDERS = "generic"
    secret: str | None = Field(None, max_length=200, description=SECRET_DOC)
    team: int | None = Field(None, description="id of the team whose queue gets new calls")
    numbers: list[str] = Field(default_factory=list, max_length=50)
    extensions: str = Field("", max_length=20000, description='"101 = agent@example.com" lines')
    callback_minutes: int = Field(60, description="business minutes to call back a missed call")
    active: bool = True


class PhoneLineUpdate(_In):
    name: str | None = Field(None, max_length=120)
    provider: PROVIDERS | None = None
    secret: str | None = Field(None, max_length=200, description=SECRET_DOC)
    team: int | None = Field(None, description="null: no team")
    numbers: list[str] | None = Field(None, max_length=50)
    extensions: str | None = Field(None, max_length=20000)
    callback_minutes: int | None = None
    active: bool | None = None


class CheckOut(Schema):
    ok: bool
    message: str


class SecretOut(Schema):
    secret: str = Field(description="the new secret, shown this once")


def line_out(line: PhoneLine) -> dict[str, Any]:
    team = line.team
    return {
        "id": line.pk,
        "name": line.name,
        "provider": line.provider,
        "secret_set": bool(line.secret),
        "team": {"id": team.pk, "name": team.name} if team is not None else None,
        "numbers": line.number_list,
        "extensions": line.extensions,
        "callback_minutes": line.callback_minutes,
        "active": line.active,
        "webhook_url": actions.webhook_url(line),
        "last_error": line.last_error,
        "last_error_at": line.last_error_at,
        "last_event_at": line.last_event_at,
        "created_at": line.created_at,
    }


@router.get(
    "/channels/phone",
    response={200: list[PhoneLineOut], **ERRORS},
    summary="List phone lines (admins)",
    operation_id="opora_api_phone_lines_list",
)
def list_lines(request: HttpRequest) -> list[dict[str, Any]]:
    return [line_out(line) for line in visible_lines(current_user(request))[:500]]


@router.post(
    "/channels/phone",
    response={201: PhoneLineCreated, **ERRORS},
    summary="Add a phone line (admins); the answer shows its secret once",
    operation_id="opora_api_phone_lines_create",
)
def create_line(request: HttpRequest, payload: PhoneLineCreate) -> Status[dict[str, Any]]:
    values = payload.model_dump()
    values["numbers"] = "\n".join(values["numbers"])
    saved = actions.create_line(by=current_user(request), values=values)
    shown = saved.secret if saved.line.provider == Provider.GENERIC and not payload.secret else ""
    return Status(201, line_out(saved.line) | {"secret": shown})


@router.get(
    "/channels/phone/{line_id}",
    response={200: PhoneLineOut, **ERRORS},
    summary="A phone line (admins)",
    operation_id="opora_api_phone_lines_get",
)
def get_line(request: HttpRequest, line_id: int) -> dict[str, Any]:
    return line_out(access_line(current_user(request), line_id))


@router.patch(
    "/channels/phone/{line_id}",
    response={200: PhoneLineOut, **ERRORS},
    summary="Change a phone line (admins)",
    operation_id="opora_api_phone_lines_update",
)
def update_line(request: HttpRequest, line_id: int, payload: PhoneLineUpdate) -> dict[str, Any]:
    user = current_user(request)
    line = access_line(user, line_id)
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    if isinstance(changes.get("numbers"), list):
        changes["numbers"] = "\n".join(changes["numbers"])
    return line_out(actions.update_line(line, by=user, changes=changes).line)


@router.delete(
    "/channels/phone/{line_id}",
    response={204: None, **ERRORS},
    summary="Delete a phone line (admins); its calls stay on their tickets",
    operation_id="opora_api_phone_lines_delete",
)
def delete_line(request: HttpRequest, line_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_line(access_line(user, line_id), by=user)
    return Status(204, None)


@router.post(
    "/channels/phone/{line_id}/secret",
    response={200: SecretOut, **ERRORS},
    summary="Generate a new secret for a line (admins); shown this once",
    operation_id="opora_api_phone_lines_secret",
)
def new_secret(request: HttpRequest, line_id: int) -> dict[str, Any]:
    user = current_user(request)
    saved = actions.new_line_secret(access_line(user, line_id), by=user)
    return {"secret": saved.secret}


@router.post(
    "/channels/phone/{line_id}/test",
    response={200: CheckOut, **ERRORS},
    summary="Post a signed generic test event to the line's own webhook (admins)",
    operation_id="opora_api_phone_lines_test",
)
def test_line(request: HttpRequest, line_id: int) -> dict[str, Any]:
    """Answers 200 either way: `ok` says whether the desk took its own event."""
    user = current_user(request)
    return asdict(actions.send_test_event(access_line(user, line_id), by=user))


# --- calls on tickets ------------------------------------------------------------------


class CallOut(Schema):
    id: int
    ticket: int | None = Field(description="the ticket's number")
    line: str = Field(description="the line's name; empty for a call logged by hand")
    direction: Literal["in", "out"]
    number: str = Field(description="the other party's number")
    caller_number: str
    called_number: str
    agent: str | None = Field(description="the agent's e-mail address")
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration: int = Field(description="seconds of conversation")
    recording_url: str
    outcome: str = Field(description="answered, missed, voicemail, busy, failed; empty: live")
    note: str
    logged_by_hand: bool
    callback_due_at: datetime | None = Field(description="a missed call: call back by then")
    callback_done_at: datetime | None


class CallIn(_In):
    direction: Literal["in", "out"]
    number: str = Field(max_length=40)
    duration: int = Field(ge=0, le=86400, description="seconds of conversation")
    outcome: OUTCOMES
    note: str = Field("", max_length=2000)


def call_out(call: Call, number: int | None = None) -> dict[str, Any]:
    return {
        "id": call.pk,
        "ticket": number if number is not None else (call.ticket.number if call.ticket else None),
        "line": call.line.name if call.line is not None else "",
        "direction": call.direction,
        "number": call.number,
        "caller_number": call.caller_number,
        "called_number": call.called_number,
        "agent": call.agent.email if call.agent is not None else None,
        "started_at": call.started_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "duration": call.duration,
        "recording_url": call.recording_url,
        "outcome": call.outcome,
        "note": call.note,
        "logged_by_hand": call.logged_by_id is not None,
        "callback_due_at": call.callback_due_at,
        "callback_done_at": call.callback_done_at,
    }


@calls_router.get(
    "/tickets/{number}/calls",
    response={200: list[CallOut], **ERRORS},
    summary="The ticket's phone calls, newest first (agents)",
    operation_id="opora_api_ticket_calls_list",
)
def list_calls(request: HttpRequest, number: int) -> list[dict[str, Any]]:
    ticket = access_call_ticket(current_user(request), number)
    return [call_out(c, ticket.number) for c in calls_of(ticket)]


@calls_router.post(
    "/tickets/{number}/calls",
    response={201: CallOut, **ERRORS},
    summary="Log a phone call on the ticket (agents); its talk time is logged as time",
    operation_id="opora_api_ticket_calls_create",
)
def log_call(request: HttpRequest, number: int, payload: CallIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    ticket = access_call_ticket(user, number)
    call = actions.log_call(
        ticket,
        by=user,
        values=actions.LoggedCall(
            direction=payload.direction,
            number=payload.number,
            duration=payload.duration,
            outcome=payload.outcome,
            note=payload.note,
        ),
    )
    return Status(201, call_out(call, ticket.number))


@calls_router.get(
    "/calls/call-back",
    response={200: list[CallOut], **ERRORS},
    summary="Missed calls waiting for a call back, soonest due first (agents)",
    operation_id="opora_api_calls_callback_list",
)
def list_callbacks(request: HttpRequest) -> list[dict[str, Any]]:
    user = current_user(request)
    if not user.is_agent:
        return []
    return [call_out(c) for c in open_callbacks(user).select_related("agent")[:500]]


@calls_router.post(
    "/calls/{call_id}/called-back",
    response={200: CallOut, **ERRORS},
    summary="Mark a missed call as called back (agents)",
    operation_id="opora_api_calls_called_back",
)
def called_back(request: HttpRequest, call_id: int) -> dict[str, Any]:
    user = current_user(request)
    call = (
        Call.objects.select_related("ticket", "line", "agent")
        .filter(pk=call_id, ticket__in=visible_tickets(user))
        .first()
        if user.is_agent
        else None
    )
    if call is None:
        raise NotFound(gettext("call"))
    done = actions.callback_done(call, by=user)
    done.ticket, done.line, done.agent = call.ticket, call.line, call.agent
    return call_out(done)
