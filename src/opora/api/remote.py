"""Remote sessions: the tools (administrators) and a ticket's sessions (agents).

A tool's secret is accepted and never returned: answers say `secret_set` instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from opora.api.common import ErrorOut, StrictInput, current_user
from opora.remote import actions
from opora.remote.models import RemoteSession, RemoteTool
from opora.remote.selectors import (
    access_session,
    access_session_ticket,
    access_tool,
    ticket_sessions,
    visible_tools,
)

tools_router = Router(tags=["remote sessions"])
sessions_router = Router(tags=["remote sessions"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
TEMPLATE_DOC = (
    "the link, with {id}, {password} and {ticket} filled in per invitation; "
    "rustdesk://… for RustDesk (empty: rustdesk://connection/new/{id}?password={password}), "
    "https://… for a link template"
)
SECRET_DOC = "signs the tool's reports of a session's start and end; write-only"  # noqa: S105


class RemoteToolOut(Schema):
    id: int
    name: str
    kind: Literal["rustdesk", "link"]
    template: str = Field(description=TEMPLATE_DOC)
    instructions_en: str
    instructions_ru: str
    active: bool
    secret_set: bool = Field(description="a secret is saved (it is never returned)")
    events_url: str = Field(description="where the tool may post its signed reports")
    created_at: datetime
    updated_at: datetime


class RemoteToolCreate(StrictInput):
    name: str = Field(max_length=120)
    kind: Literal["rustdesk", "link"] = "rustdesk"
    template: str = Field("", max_length=1000, description=TEMPLATE_DOC)
    instructions_en: str = Field("", max_length=actions.INSTRUCTIONS_LIMIT)
    instructions_ru: str = Field("", max_length=actions.INSTRUCTIONS_LIMIT)
    active: bool = True
    secret: str = Field("", max_length=200, description=SECRET_DOC)


class RemoteToolUpdate(StrictInput):
    name: str | None = Field(None, max_length=120)
    kind: Literal["rustdesk", "link"] | None = None
    template: str | None = Field(None, max_length=1000, description=TEMPLATE_DOC)
    instructions_en: str | None = Field(None, max_length=actions.INSTRUCTIONS_LIMIT)
    instructions_ru: str | None = Field(None, max_length=actions.INSTRUCTIONS_LIMIT)
    active: bool | None = None
    secret: str | None = Field(None, max_length=200, description=SECRET_DOC)


class ToolRef(Schema):
    id: int
    name: str


class AgentRef(Schema):
    id: int
    name: str


class RemoteSessionOut(Schema):
    id: int
    ticket: int = Field(description="the ticket's number")
    tool: ToolRef
    agent: AgentRef
    session_id: str = Field(description="the id in the tool, if the agent gave one")
    state: Literal["invited", "started", "ended"]
    language: str = Field(description="the language of the invitation")
    message: int | None = Field(description="id of the reply that carried the invitation")
    invited_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    minutes_logged: int | None = Field(description="the time entry logged for the agent")


class InviteIn(StrictInput):
    tool: int = Field(description="id of an active remote tool")
    session_id: str = Field("", max_length=100, description="needed when the link has {id}")
    password: str = Field("", max_length=100)


def tool_out(tool: RemoteTool) -> dict[str, Any]:
    return {
        "id": tool.pk,
        "name": tool.name,
        "kind": tool.kind,
        "template": tool.template,
        "instructions_en": tool.instructions_en,
        "instructions_ru": tool.instructions_ru,
        "active": tool.active,
        "secret_set": bool(tool.secret),
        "events_url": actions.webhook_url(tool),
        "created_at": tool.created_at,
        "updated_at": tool.updated_at,
    }


def session_out(session: RemoteSession) -> dict[str, Any]:
    return {
        "id": session.pk,
        "ticket": session.ticket.number,
        "tool": {"id": session.tool.pk, "name": session.tool.name},
        "agent": {"id": session.agent.pk, "name": session.agent.display_name},
        "session_id": session.code,
        "state": session.state,
        "language": session.language,
        "message": session.message_id,
        "invited_at": session.invited_at,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "duration_seconds": session.duration_seconds,
        "minutes_logged": session.minutes,
    }


# --- Tools (administrators) -------------------------------------------------------------


@tools_router.get(
    "/remote-tools",
    response={200: list[RemoteToolOut], **ERRORS},
    summary="List remote tools (admins)",
)
def list_tools(request: HttpRequest) -> list[dict[str, Any]]:
    return [tool_out(t) for t in visible_tools(current_user(request))[:500]]


@tools_router.post(
    "/remote-tools",
    response={201: RemoteToolOut, **ERRORS},
    summary="Add a remote tool (admins)",
)
def create_tool(request: HttpRequest, payload: RemoteToolCreate) -> Status[dict[str, Any]]:
    tool = actions.create_tool(by=current_user(request), values=payload.model_dump())
    return Status(201, tool_out(tool))


@tools_router.get(
    "/remote-tools/{tool_id}",
    response={200: RemoteToolOut, **ERRORS},
    summary="A remote tool (admins)",
)
def get_tool(request: HttpRequest, tool_id: int) -> dict[str, Any]:
    return tool_out(access_tool(current_user(request), tool_id))


@tools_router.patch(
    "/remote-tools/{tool_id}",
    response={200: RemoteToolOut, **ERRORS},
    summary="Change a remote tool (admins)",
)
def update_tool(request: HttpRequest, tool_id: int, payload: RemoteToolUpdate) -> dict[str, Any]:
    user = current_user(request)
    tool = access_tool(user, tool_id)
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    return tool_out(actions.update_tool(tool, by=user, changes=changes))


@tools_router.delete(
    "/remote-tools/{tool_id}",
    response={204: None, **ERRORS},
    summary="Delete a remote tool no session used (admins)",
)
def delete_tool(request: HttpRequest, tool_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_tool(access_tool(user, tool_id), by=user)
    return Status(204, None)


# --- A ticket's sessions (agents) -------------------------------------------------------


@sessions_router.get(
    "/tickets/{number}/remote-sessions",
    response={200: list[RemoteSessionOut], **ERRORS},
    summary="The ticket's remote sessions",
)
def list_sessions(request: HttpRequest, number: int) -> list[dict[str, Any]]:
    ticket = access_session_ticket(current_user(request), number)
    return [session_out(s) for s in ticket_sessions(ticket)]


@sessions_router.post(
    "/tickets/{number}/remote-sessions",
    response={201: RemoteSessionOut, **ERRORS},
    summary="Invite the customer to a remote session (a public reply with the link)",
)
def invite(request: HttpRequest, number: int, payload: InviteIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    ticket = access_session_ticket(user, number)
    session = actions.invite(
        ticket,
        by=user,
        tool_id=payload.tool,
        session_id=payload.session_id,
        password=payload.password,
    )
    return Status(201, session_out(session))


@sessions_router.post(
    "/tickets/{number}/remote-sessions/{session_id}/start",
    response={200: RemoteSessionOut, **ERRORS},
    summary="Mark a remote session started",
)
def start(request: HttpRequest, number: int, session_id: int) -> dict[str, Any]:
    user = current_user(request)
    session = access_session(user, number, session_id)
    return session_out(actions.start_session(session, by=user))


@sessions_router.post(
    "/tickets/{number}/remote-sessions/{session_id}/end",
    response={200: RemoteSessionOut, **ERRORS},
    summary="Mark a remote session ended: its length is logged as the agent's time",
)
def end(request: HttpRequest, number: int, session_id: int) -> dict[str, Any]:
    user = current_user(request)
    session = access_session(user, number, session_id)
    return session_out(actions.end_session(session, by=user))
