"""The chat's WebSockets: visitors at /ws/chat/visitor/<key>/, agents at /ws/chat/agent/.

Thin entry points: each frame is parsed, authorized (the visitor token; the agent's
session and `access_chat`), handed to one action in a thread with a database
connection, and answered. Frames for other sockets travel through the channel layer
as `chat.frame` messages, published after the writes commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import connection
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import override

from opora.accounts.models import User
from opora.accounts.realtime import connection_user
from opora.accounts.tokens import TICKETS
from opora.chat import actions, errors
from opora.chat.frames import chat_frame, history, session_frame
from opora.chat.models import PresenceStatus, agent_group
from opora.chat.routing import presence_frame, state_frame
from opora.chat.selectors import (
    Visitor,
    access_chat,
    access_transcript,
    access_visitor,
    agent_chats,
    current_session,
    latest_session,
    presence_of,
    team_online,
)
from opora.core.errors import NotFound, OporaError
from opora.core.ratelimit import client_address
from opora.core.realtime import publish_to_group, serving_here

logger = logging.getLogger("opora.chat")

# Close codes the widget can tell apart (4400-4499: refused by the application).
CLOSE_BAD_TOKEN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NO_WIDGET = 4404
CLOSE_FLOOD = 1008  # policy violation
# Frames of one socket waiting to be handled; more means a flood.
MAX_PENDING_FRAMES = 100


def database_sync_to_async(fn: Any) -> Any:
    """`fn` in a thread of the loop's pool, with a database connection from the pool:
    one socket's frames stay in order (see `_ChatConsumer`), different sockets' run side
    by side instead of one after another in a single thread while each waits for the
    database. SQLite takes one writer at a time: there they keep to one thread."""
    sqlite = connection.vendor == "sqlite"
    return DatabaseSyncToAsync(fn, thread_sensitive=sqlite)


def _error(exc: OporaError) -> dict[str, Any]:
    return {"type": "error", "code": exc.code, "message": exc.message}


class _ChatConsumer(AsyncJsonWebsocketConsumer):
    language = "en"
    # Frames from the client, handled in order by a task of their own: while one waits
    # for the database, frames for this socket from the channel layer go on flowing
    # (the in-process layer drops what a consumer's full queue of 100 cannot take).
    _inbox: asyncio.Queue[str | None] | None = None
    _reader: asyncio.Task[None] | None = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._inbox is None:
            self._inbox = asyncio.Queue()
            self._reader = asyncio.create_task(self._read_frames(self._inbox))
        if self._inbox.qsize() >= MAX_PENDING_FRAMES:
            # A client sending faster than anyone types, without waiting for answers:
            # its frames would only pile up in memory.
            await self.close(code=CLOSE_FLOOD)
            return
        self._inbox.put_nowait(text_data or "")

    async def _read_frames(self, inbox: asyncio.Queue[str | None]) -> None:
        while (text := await inbox.get()) is not None:
            try:
                await self._handle(text)
            except Exception:
                if self._inbox is not inbox:
                    return  # the client left meanwhile: no one to answer
                # One frame failed (a busy database, a bug): the client hears so and the
                # conversation goes on; closing would cost it what follows.
                logger.exception("chat frame failed")
                with contextlib.suppress(Exception):
                    await self.send_json(
                        {
                            "type": "error",
                            "code": errors.TRY_AGAIN,
                            "message": _("That did not work; please try again."),
                        }
                    )

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # What the client sent before it left is still handled, then the socket closes.
        if self._inbox is not None and self._reader is not None:
            self._inbox.put_nowait(None)
            self._inbox = None
            await self._reader
        await super().websocket_disconnect(message)

    async def _handle(self, text_data: str) -> None:
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_json(
                {"type": "error", "code": errors.BAD_FRAME, "message": "Not a chat frame."}
            )
            return
        try:
            await self.receive_json(content)
        except OporaError as exc:
            await self.send_json(_error(exc))

    async def chat_frame(self, event: dict[str, Any]) -> None:
        """A frame for this socket's visitor or agent, published by any process."""
        await self.send_json(event["frame"])


def _translated(language: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    with override(language or "en"):
        return fn(*args, **kwargs)


class VisitorConsumer(_ChatConsumer):
    visitor: Visitor | None = None

    async def connect(self) -> None:
        serving_here()
        key = self.scope["url_route"]["kwargs"]["public_key"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        # Accepted first, so that the widget learns why it is refused from the code.
        await self.accept()
        try:
            self.visitor = await database_sync_to_async(access_visitor)(key, token)
        except NotFound:
            await self.close(code=CLOSE_NO_WIDGET)
            return
        except OporaError:
            await self.close(code=CLOSE_BAD_TOKEN)
            return
        await self.channel_layer.group_add(self.visitor.group, self.channel_name)
        await self.send_json(await database_sync_to_async(self._hello)())

    def _hello(self) -> dict[str, Any]:
        assert self.visitor is not None
        session = current_session(self.visitor) or latest_session(self.visitor)
        if session is not None and session.language:
            self.language = session.language
        return {
            "type": "hello",
            "session": session_frame(session),
            "online": team_online(self.visitor.widget.team_id),
            "messages": history(session),
        }

    async def disconnect(self, code: int) -> None:
        if self.visitor is not None:
            await self.channel_layer.group_discard(self.visitor.group, self.channel_name)

    def _client_address(self) -> str:
        """The visitor's address for the per-address flood limit: the connecting one, or
        X-Forwarded-For only behind a proxy named in OPORA_TRUSTED_PROXIES (a visitor
        could otherwise pick a new address for every message)."""
        client = self.scope.get("client") or ("", 0)
        meta = {"REMOTE_ADDR": str(client[0])}
        for name, value in self.scope.get("headers", []):
            if name == b"x-forwarded-for":
                meta["HTTP_X_FORWARDED_FOR"] = value.decode("latin-1")
        return client_address(meta)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        visitor = self.visitor
        if visitor is None:
            return
        kind = content["type"]
        run = database_sync_to_async(_translated)
        if kind == "message":
            await run(
                self.language,
                actions.post_message,
                visitor,
                content.get("text", ""),
                content.get("client_id"),
                email=str(content.get("email") or ""),
                client_address=self._client_address(),
            )
        elif kind == "typing":
            await database_sync_to_async(self._typing)(bool(content.get("on")))
        elif kind == "read":
            await run(self.language, self._read, content.get("up_to"))
        elif kind == "sync":
            after = content.get("after")
            for message in await database_sync_to_async(self._since)(after):
                await self.send_json({"type": "message", "message": message})
        elif kind == "handoff":
            await run(self.language, actions.handoff, visitor)
        elif kind == "helpful":
            await run(self.language, actions.helpful, visitor)
        elif kind == "rate":
            await run(
                self.language, actions.rate, visitor, content.get("score"), content.get("comment")
            )
            await self.send_json({"type": "rating", "asked": False, "score": content.get("score")})
        elif kind == "end":
            await run(self.language, actions.end_by_visitor, visitor)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            raise OporaError(errors.BAD_FRAME, _("Unknown frame type."))

    def _since(self, after: object) -> list[dict[str, Any]]:
        assert self.visitor is not None
        start = after if isinstance(after, int) and not isinstance(after, bool) else 0
        return history(current_session(self.visitor) or latest_session(self.visitor), start)

    def _typing(self, on: bool) -> None:
        assert self.visitor is not None
        session = current_session(self.visitor)
        if session is not None and session.agent_id:
            publish_to_group(
                agent_group(session.agent_id),
                {
                    "type": "chat.frame",
                    "frame": {"type": "typing", "chat_id": session.pk, "on": on},
                },
            )

    def _read(self, up_to: object) -> None:
        assert self.visitor is not None
        session = current_session(self.visitor) or latest_session(self.visitor)
        if session is None:
            raise NotFound(_("chat"))
        moved = actions.mark_read(session, by_agent=False, up_to=up_to)
        if moved is not None and session.agent_id:
            publish_to_group(
                agent_group(session.agent_id),
                {
                    "type": "chat.frame",
                    "frame": {"type": "read", "chat_id": session.pk, "up_to": moved},
                },
            )


class AgentConsumer(_ChatConsumer):
    user: User | None = None

    async def connect(self) -> None:
        serving_here()
        # The agent's chat sends replies: a token needs the `tickets` scope.
        user = await connection_user(self.scope, needs=TICKETS)
        if user is None or not user.is_active or not user.is_agent:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.language = user.language
        await self.channel_layer.group_add(agent_group(user.pk), self.channel_name)
        await self.accept()
        # Connecting changes no one's presence (the agent chooses it); it only counts as
        # being seen, so a reconnect within the grace period keeps everything.
        await database_sync_to_async(actions.agent_seen)(user)
        await self.send_json(await database_sync_to_async(self._chats)())

    def _chats(self) -> dict[str, Any]:
        assert self.user is not None
        presence = dict(presence_frame(presence_of(self.user)))
        del presence["type"]
        return {
            "type": "chats",
            "chats": [chat_frame(s) for s in agent_chats(self.user)],
            "presence": presence,
        }

    async def disconnect(self, code: int) -> None:
        if self.user is None:
            return
        await self.channel_layer.group_discard(agent_group(self.user.pk), self.channel_name)
        # The grace period starts now: another page of the desk opening within it
        # keeps the agent's presence and offers.
        await database_sync_to_async(actions.agent_seen)(self.user)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        user = self.user
        if user is None:
            return
        kind = content["type"]
        run = database_sync_to_async(_translated)
        if kind == "ping":
            # The inbox's heartbeat (every 25 s): the agent is still here.
            await database_sync_to_async(actions.agent_seen)(user)
            await self.send_json({"type": "pong"})
            return
        if kind == "presence":
            status = content.get("status")
            if status not in PresenceStatus.values:
                raise OporaError(errors.INVALID_CHOICE, _("Presence is online, away or offline."))
            await run(self.language, actions.set_presence, user, status)
            await self.send_json(await database_sync_to_async(self._chats)())
            return
        chat_id = content.get("chat_id")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise OporaError(errors.BAD_FRAME, _("Say which chat (chat_id)."))
        if kind == "accept":
            await run(self.language, self._accept, chat_id)
        elif kind == "pass":
            await run(self.language, self._pass, chat_id)
        elif kind == "end":
            await run(self.language, self._end, chat_id)
        elif kind == "message":
            await run(
                self.language,
                self._message,
                chat_id,
                content.get("text", ""),
                content.get("client_id"),
            )
        elif kind == "typing":
            await run(self.language, self._typing, chat_id, bool(content.get("on")))
        elif kind == "read":
            await run(self.language, self._read, chat_id, content.get("up_to"))
        elif kind == "history":
            after = content.get("after")
            start = after if isinstance(after, int) and not isinstance(after, bool) else 0
            messages = await run(self.language, self._history, chat_id, start)
            await self.send_json({"type": "history", "chat_id": chat_id, "messages": messages})
        elif kind == "transfer":
            agent_id = content.get("agent_id")
            line = content.get("line")
            await run(
                self.language,
                self._transfer,
                chat_id,
                agent_id if isinstance(agent_id, int) else None,
                line if isinstance(line, int) else None,
            )
        else:
            raise OporaError(errors.BAD_FRAME, _("Unknown frame type."))

    def _accept(self, chat_id: int) -> None:
        assert self.user is not None
        access_chat(self.user, chat_id)
        actions.accept(self.user, chat_id)

    def _pass(self, chat_id: int) -> None:
        assert self.user is not None
        access_chat(self.user, chat_id)
        actions.pass_chat(self.user, chat_id)

    def _end(self, chat_id: int) -> None:
        assert self.user is not None
        access_chat(self.user, chat_id)
        actions.end_by_agent(self.user, chat_id)

    def _transfer(self, chat_id: int, agent_id: int | None, line: int | None) -> None:
        assert self.user is not None
        access_chat(self.user, chat_id)
        actions.transfer(self.user, chat_id, agent_id=agent_id, line=line)

    def _message(self, chat_id: int, text: object, client_id: object) -> None:
        assert self.user is not None
        session = access_chat(self.user, chat_id)
        actions.agent_message(self.user, session, text, client_id)

    def _history(self, chat_id: int, after: int) -> list[dict[str, Any]]:
        assert self.user is not None
        return history(access_transcript(self.user, chat_id), after, notes=True)

    def _typing(self, chat_id: int, on: bool) -> None:
        assert self.user is not None
        session = access_chat(self.user, chat_id)
        publish_to_group(
            session.visitor_group, {"type": "chat.frame", "frame": {"type": "typing", "on": on}}
        )

    def _read(self, chat_id: int, up_to: object) -> None:
        assert self.user is not None
        session = access_chat(self.user, chat_id)
        moved = actions.mark_read(session, by_agent=True, up_to=up_to)
        if moved is not None:
            publish_to_group(
                session.visitor_group,
                {"type": "chat.frame", "frame": {"type": "read", "up_to": moved}},
            )


__all__ = ["AgentConsumer", "VisitorConsumer", "state_frame"]


# The visitor's route takes connections from any site (the widget runs on the
# customer's pages): it is authenticated by the widget key and the signed visitor
# token, never by cookies. The agents' route stays behind the origin check.
VISITOR_PREFIX = "/ws/chat/visitor/"
visitor_urlpatterns = [path("ws/chat/visitor/<str:public_key>/", VisitorConsumer.as_asgi())]
agent_urlpatterns = [path("ws/chat/agent/", AgentConsumer.as_asgi())]
