"""Macros: canned replies with ticket changes; their CRUD, and previewing and applying
one on a ticket (the reply and the changes in one change)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.params.functions import Query

from opora.api.common import ErrorOut, StrictInput, current_user
from opora.automation import macros
from opora.automation.models import Macro
from opora.tickets.models import Channel
from opora.tickets.selectors import access_ticket

router = Router(tags=["macros"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class MacroActions(StrictInput):
    status: Literal["open", "pending", "on_hold", "solved"] | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    type: str | None = None
    team: int | None = None
    line: int | None = Field(None, ge=1, le=3)
    add_tags: list[str] = Field(default_factory=list, max_length=50)
    remove_tags: list[str] = Field(default_factory=list, max_length=50)
    assignee: Literal["me"] | int | None = Field(None, description='"me" or an agent\'s id')


class MacroIn(StrictInput):
    title: str = Field(max_length=1000)
    owner_kind: Literal["personal", "team", "shared"] = "personal"
    team: int | None = Field(None, description="the owning team, for a team's macro")
    body_en: str = Field("", max_length=100_000)
    body_ru: str = Field("", max_length=100_000)
    actions: MacroActions | None = None


class MacroOut(Schema):
    id: int
    title: str
    owner_kind: str
    owner: int | None
    team: int | None
    body_en: str
    body_ru: str
    actions: dict[str, Any]
    usage_count: int
    last_used_at: datetime | None
    editable: bool


class ActionOut(Schema):
    field: str
    value: Any
    label: str


class PreviewOut(Schema):
    macro: int
    language: str = Field(description="the language of the text: the ticket's, else the other")
    body: str = Field(description="the reply with its placeholders filled in")
    actions: list[ActionOut]


class ApplyIn(StrictInput):
    body: str | None = Field(
        None, max_length=1_000_000, description="the reply as edited; null: the macro's own"
    )
    internal: bool = False
    status: Literal["open", "pending", "on_hold", "solved"] | None = Field(
        None, description="the status to set with the reply; null: the macro's"
    )


class AppliedOut(Schema):
    ticket: int
    status: str
    message: int | None


def _out(macro: Macro, user: Any) -> dict[str, Any]:
    return {
        "id": macro.pk,
        "title": macro.title,
        "owner_kind": macro.owner_kind,
        "owner": macro.owner_id,
        "team": macro.team_id,
        "body_en": macro.body_en,
        "body_ru": macro.body_ru,
        "actions": dict(macro.actions or {}),
        "usage_count": macro.usage_count,
        "last_used_at": macro.last_used_at,
        "editable": macros.may_edit_macro(user, macro),
    }


def _input(payload: MacroIn) -> macros.MacroInput:
    return macros.MacroInput(
        title=payload.title,
        owner_kind=payload.owner_kind,
        team=payload.team,
        body_en=payload.body_en,
        body_ru=payload.body_ru,
        actions=payload.actions.model_dump(exclude_none=True) if payload.actions else {},
    )


@router.get(
    "/macros",
    response={200: list[MacroOut], **ERRORS},
    summary="List the macros I may use (admins: every team's too)",
    operation_id="opora_api_macros_list",
)
def list_macros(
    request: HttpRequest, q: str = Query("", max_length=200), picker: bool = False
) -> list[dict[str, Any]]:
    user = current_user(request)
    rows = macros.picker_macros(user, q) if picker else macros.visible_macros(user)
    if not picker and q.strip():
        rows = rows.filter(title__icontains=q.strip())
    return [_out(m, user) for m in rows[:500]]


@router.post(
    "/macros",
    response={201: MacroOut, **ERRORS},
    summary="Create a macro",
    operation_id="opora_api_macros_create",
)
def create_macro(request: HttpRequest, payload: MacroIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    macro = macros.create_macro(_input(payload), by=user)
    return Status(201, _out(macro, user))


@router.get(
    "/macros/{macro_id}",
    response={200: MacroOut, **ERRORS},
    summary="Get a macro",
    operation_id="opora_api_macros_get",
)
def get_macro(request: HttpRequest, macro_id: int) -> dict[str, Any]:
    user = current_user(request)
    return _out(macros.access_macro(user, macro_id), user)


@router.put(
    "/macros/{macro_id}",
    response={200: MacroOut, **ERRORS},
    summary="Change a macro",
    operation_id="opora_api_macros_update",
)
def update_macro(request: HttpRequest, macro_id: int, payload: MacroIn) -> dict[str, Any]:
    user = current_user(request)
    found = macros.access_macro_for_edit(user, macro_id)
    return _out(macros.update_macro(found, _input(payload), by=user), user)


@router.delete(
    "/macros/{macro_id}",
    response={204: None, **ERRORS},
    summary="Delete a macro",
    operation_id="opora_api_macros_delete",
)
def delete_macro(request: HttpRequest, macro_id: int) -> Status[None]:
    user = current_user(request)
    found = macros.access_macro_for_edit(user, macro_id)
    macros.delete_macro(found, by=user)
    return Status(204, None)


@router.post(
    "/tickets/{number}/macros/{macro_id}/preview",
    response={200: PreviewOut, **ERRORS},
    summary="Preview a macro on a ticket: its reply as it would be sent, and its changes",
    operation_id="opora_api_macros_preview",
)
def preview_macro(request: HttpRequest, number: int, macro_id: int) -> dict[str, Any]:
    user = current_user(request)
    macro = macros.access_macro(user, macro_id)
    ticket = access_ticket(user, number)
    found = macros.preview_macro(ticket, macro, by=user)
    return {
        "macro": macro.pk,
        "language": found.language,
        "body": found.body,
        "actions": [vars(a) for a in found.actions],
    }


@router.post(
    "/tickets/{number}/macros/{macro_id}/apply",
    response={200: AppliedOut, **ERRORS},
    summary="Apply a macro: its changes and its reply in one change, or nothing",
    operation_id="opora_api_macros_apply",
)
def apply_macro(
    request: HttpRequest, number: int, macro_id: int, payload: ApplyIn
) -> dict[str, Any]:
    user = current_user(request)
    macro = macros.access_macro(user, macro_id)
    ticket = access_ticket(user, number)
    done = macros.apply_macro(
        ticket,
        macro,
        by=user,
        body=payload.body,
        internal=payload.internal,
        channel=Channel.API if payload.internal else "",
        status=payload.status,
    )
    return {
        "ticket": done.ticket.number,
        "status": done.ticket.status,
        "message": done.message.pk if done.message else None,
    }
