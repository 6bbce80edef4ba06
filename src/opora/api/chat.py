"""Live chat for agents and admins: presence, sessions (accept, pass, transfer, end,
transcript, messages with files), agents' capacity and the widgets. The same
operations as the agent's chat socket (docs/chat.md)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opora.accounts.models import User
from opora.accounts.tokens import ADMIN
from opora.api.common import (
    ErrorOut,
    StrictInput,
    body_doc,
    current_user,
    needs_scope,
    parse_input,
)
from opora.chat import actions, widgets
from opora.chat.frames import chat_frame, history, message_frame
from opora.chat.models import ChatSession, ChatWidget
from opora.chat.selectors import (
    access_agent_chats,
    access_chat,
    access_chat_agent,
    access_transcript,
    access_widget_for_admin,
    access_widgets,
    active_load,
    agent_chats,
    chat_agents,
    presence_of,
)

router = Router(tags=["live chat"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
PrechatName = Literal["off", "optional", "required"]


class PresenceOut(Schema):
    status: str = Field(description="online, away or offline")
    capacity: int = Field(description="chats at once, set by an administrator")
    active_chats: int


class PresenceIn(StrictInput):
    status: Literal["online", "away", "offline"]


class AgentOut(Schema):
    id: int
    name: str
    email: str
    status: str
    capacity: int
    active_chats: int


class AgentPatch(StrictInput):
    capacity: int = Field(ge=1, le=50)


class MessageOut(Schema):
    """`M` of docs/chat.md."""

    id: int
    author: str
    name: str
    text: str
    html: str
    attachments: list[dict[str, Any]]
    created_at: str
    client_id: str | None
    internal: bool


class ChatMessageIn(StrictInput):
    text: str = Field("", max_length=100_000)
    client_id: str | None = Field(None, max_length=64)


class ChatOut(Schema):
    """`C` of docs/chat.md."""

    id: int
    ticket: int | None
    subject: str
    state: str
    visitor: dict[str, Any]
    agent_id: int | None
    offered_to: int | None
    unread: int
    last_message: dict[str, Any] | None
    created_at: str
    waiting_since: str | None


class TransferIn(StrictInput):
    agent_id: int | None = None
    line: int | None = Field(None, ge=1, le=3)


class WidgetOut(Schema):
    id: int
    public_key: str
    name: str
    team: int
    prechat_name: str
    prechat_email: str
    greeting_en: str
    greeting_ru: str
    active: bool
    snippet: str


class WidgetIn(StrictInput):
    name: str = Field(min_length=1, max_length=120)
    team: int
    prechat_name: PrechatName = "off"
    prechat_email: PrechatName = "optional"
    greeting_en: str = Field("", max_length=500)
    greeting_ru: str = Field("", max_length=500)
    active: bool = True


class WidgetPatch(StrictInput):
    name: str | None = Field(None, min_length=1, max_length=120)
    team: int | None = None
    prechat_name: PrechatName | None = None
    prechat_email: PrechatName | None = None
    greeting_en: str | None = Field(None, max_length=500)
    greeting_ru: str | None = Field(None, max_length=500)
    active: bool | None = None


def embed_snippet(widget: ChatWidget) -> str:
    from django.conf import settings

    return (
        f'<script src="{settings.BASE_URL}/chat/widget.js" '
        f'data-key="{widget.public_key}" async></script>'
    )


def _widget(widget: ChatWidget) -> dict[str, Any]:
    return {
        "id": widget.pk,
        "public_key": widget.public_key,
        "name": widget.name,
        "team": widget.team_id,
        "prechat_name": widget.prechat_name,
        "prechat_email": widget.prechat_email,
        "greeting_en": widget.greeting_en,
        "greeting_ru": widget.greeting_ru,
        "active": widget.active,
        "snippet": embed_snippet(widget),
    }


def _presence(request: HttpRequest) -> dict[str, Any]:
    user = access_agent_chats(current_user(request))
    presence = presence_of(user)
    return {
        "status": presence.status,
        "capacity": presence.capacity,
        "active_chats": active_load([user.pk])[user.pk],
    }


@router.get(
    "/chat/presence",
    response={200: PresenceOut, **ERRORS},
    summary="The agent's chat presence",
    operation_id="opora_api_chat_get_presence",
)
def get_presence(request: HttpRequest) -> dict[str, Any]:
    return _presence(request)


@router.put(
    "/chat/presence",
    response={200: PresenceOut, **ERRORS},
    summary="Go online, away or offline for chats",
    operation_id="opora_api_chat_set_presence",
)
def put_presence(request: HttpRequest, payload: PresenceIn) -> dict[str, Any]:
    user = access_agent_chats(current_user(request))
    actions.set_presence(user, payload.status, via="api")
    return _presence(request)


def _agent(agent: Any, presence: Any, load: dict[int, int]) -> dict[str, Any]:
    return {
        "id": agent.pk,
        "name": agent.display_name,
        "email": agent.email,
        "status": presence.status,
        "capacity": presence.capacity,
        "active_chats": load.get(agent.pk, 0),
    }


@router.get(
    "/chat/agents",
    response={200: list[AgentOut], **ERRORS},
    summary="Agents' chat presence and capacity (administrators)",
    operation_id="opora_api_chat_list_agents",
)
def list_agents(request: HttpRequest) -> list[dict[str, Any]]:
    access_widgets(current_user(request))
    rows = chat_agents()
    load = active_load([a.pk for a, _ in rows])
    return [_agent(a, p, load) for a, p in rows]


@router.patch(
    "/chat/agents/{user_id}",
    response={200: AgentOut, **ERRORS},
    summary="Set how many chats an agent takes at once (administrators)",
    operation_id="opora_api_chat_update_agent",
    openapi_extra=needs_scope(ADMIN),
)
def update_agent(request: HttpRequest, user_id: int, payload: AgentPatch) -> dict[str, Any]:
    user = current_user(request)
    agent = access_chat_agent(user, user_id)
    presence = actions.set_capacity(agent, payload.capacity, by=user)
    return _agent(agent, presence, active_load([agent.pk]))


@router.get(
    "/chat/sessions",
    response={200: list[ChatOut], **ERRORS},
    summary="The agent's chats and those waiting in their teams",
    operation_id="opora_api_chat_list_sessions",
)
def list_sessions(request: HttpRequest) -> list[dict[str, Any]]:
    user = access_agent_chats(current_user(request))
    return [chat_frame(s) for s in agent_chats(user)]


def _agent_and_chat(request: HttpRequest, session_id: int) -> tuple[User, ChatSession]:
    """The signed-in agent and a chat she may work on (403 / 404 otherwise)."""
    user = access_agent_chats(current_user(request))
    return user, access_chat(user, session_id)


@router.post(
    "/chat/sessions/{session_id}/accept",
    response={200: ChatOut, **ERRORS},
    summary="Accept a chat offered to you or waiting in your team",
    operation_id="opora_api_chat_accept",
)
def accept(request: HttpRequest, session_id: int) -> dict[str, Any]:
    user, _session = _agent_and_chat(request, session_id)
    return chat_frame(actions.accept(user, session_id))


@router.post(
    "/chat/sessions/{session_id}/pass",
    response={204: None, **ERRORS},
    summary="Pass on a chat offered to you: it goes to the next agent",
    operation_id="opora_api_chat_pass",
)
def pass_chat(request: HttpRequest, session_id: int) -> Status[None]:
    user, _session = _agent_and_chat(request, session_id)
    actions.pass_chat(user, session_id)
    return Status(204, None)


@router.get(
    "/chat/sessions/{session_id}/messages",
    response={200: list[MessageOut], **ERRORS},
    summary="A chat's transcript, with the internal notes marked",
    operation_id="opora_api_chat_list_messages",
)
def list_messages(request: HttpRequest, session_id: int, after: int = 0) -> list[dict[str, Any]]:
    user = access_agent_chats(current_user(request))
    return history(access_transcript(user, session_id), max(after, 0), notes=True)


@router.post(
    "/chat/sessions/{session_id}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Write in a chat, files included (the text may be empty with a file)",
    operation_id="opora_api_chat_send_message",
    openapi_extra=body_doc(ChatMessageIn, with_files=True),
)
def send_message(request: HttpRequest, session_id: int) -> Status[dict[str, Any]]:
    user, session = _agent_and_chat(request, session_id)
    payload, files = parse_input(request, ChatMessageIn)
    message = actions.agent_message(
        user, session, payload.text, payload.client_id, attachments=files
    )
    return Status(201, message_frame(message, session.requester_id))


@router.post(
    "/chat/sessions/{session_id}/transfer",
    response={200: ChatOut, **ERRORS},
    summary="Hand a chat to another agent or support line",
    operation_id="opora_api_chat_transfer",
)
def transfer(request: HttpRequest, session_id: int, payload: TransferIn) -> dict[str, Any]:
    user, _session = _agent_and_chat(request, session_id)
    session = actions.transfer(user, session_id, agent_id=payload.agent_id, line=payload.line)
    return chat_frame(session)


@router.post(
    "/chat/sessions/{session_id}/end",
    response={200: ChatOut, **ERRORS},
    summary="End a chat: its ticket is solved and the visitor asked to rate it",
    operation_id="opora_api_chat_end",
)
def end(request: HttpRequest, session_id: int) -> dict[str, Any]:
    user, _session = _agent_and_chat(request, session_id)
    return chat_frame(actions.end_by_agent(user, session_id))


@router.get(
    "/chat/widgets",
    response={200: list[WidgetOut], **ERRORS},
    summary="Chat widgets",
    operation_id="opora_api_chat_list_widgets",
)
def list_widgets(request: HttpRequest) -> list[dict[str, Any]]:
    access_widgets(current_user(request))
    return [_widget(w) for w in ChatWidget.objects.order_by("name", "id")]


@router.post(
    "/chat/widgets",
    response={201: WidgetOut, **ERRORS},
    summary="Create a chat widget",
    operation_id="opora_api_chat_create_widget",
    openapi_extra=needs_scope(ADMIN),
)
def create_widget(request: HttpRequest, payload: WidgetIn) -> Status[dict[str, Any]]:
    user = access_widgets(current_user(request))
    widget = widgets.save_widget(
        None,
        widgets.WidgetFields(
            name=payload.name,
            team_id=payload.team,
            prechat_name=payload.prechat_name,
            prechat_email=payload.prechat_email,
            greeting_en=payload.greeting_en,
            greeting_ru=payload.greeting_ru,
            active=payload.active,
        ),
        by=user,
    )
    return Status(201, _widget(widget))


@router.patch(
    "/chat/widgets/{widget_id}",
    response={200: WidgetOut, **ERRORS},
    summary="Change a chat widget",
    operation_id="opora_api_chat_update_widget",
    openapi_extra=needs_scope(ADMIN),
)
def update_widget(request: HttpRequest, widget_id: int, payload: WidgetPatch) -> dict[str, Any]:
    user = current_user(request)
    widget = access_widget_for_admin(user, widget_id)
    widget = widgets.save_widget(
        widget,
        widgets.WidgetFields(
            name=payload.name,
            team_id=payload.team,
            prechat_name=payload.prechat_name,
            prechat_email=payload.prechat_email,
            greeting_en=payload.greeting_en,
            greeting_ru=payload.greeting_ru,
            active=payload.active,
        ),
        by=user,
    )
    return _widget(widget)


@router.post(
    "/chat/widgets/{widget_id}/key",
    response={200: WidgetOut, **ERRORS},
    summary="Give a chat widget a new public key: the old one stops working",
    operation_id="opora_api_chat_regenerate_widget_key",
    openapi_extra=needs_scope(ADMIN),
)
def regenerate_key(request: HttpRequest, widget_id: int) -> dict[str, Any]:
    user = current_user(request)
    widget = access_widget_for_admin(user, widget_id)
    return _widget(widgets.change_widget_key(widget, by=user))
