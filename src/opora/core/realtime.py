"""Live updates over WebSocket: agents connected to /ws/queue/ hear about ticket changes.

Each message is `{"type": "ticket.updated", "number": N, "kind": "<event kind>"}`: only
the ticket number and what happened, so a client re-reads the ticket through the API,
which applies the viewer's permissions. Even the number goes only to those who may open
the ticket: a change is sent to the groups of its audience (its team, or triage when it
has none; its assignee; admins), and a connection joins the groups its listener names
(`Listener.queue_groups`). A connection in two groups of one change hears it once.
A ticket hidden from plain agents goes to the restricted twins of those groups, which
only team leads join (admins hear every ticket).

The channel layer is in-process by default and Redis with OPORA_REDIS_URL, which lets
events from any web node or worker reach agents connected to any other node.

Publishing never waits: the message is handed to an event loop and the request goes
on. The in-process layer is only heard by consumers on this process's server loop, so
messages go to that loop (and nowhere while no agent is connected); the Redis layer gets
one long-lived loop of its own per process, so its connections are kept, not opened per
message. (Running each send in a fresh loop cost a create request a tenth of its time.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.urls import path

logger = logging.getLogger("opora.realtime")
# The queue's groups: who hears about which ticket.
EVERY_TICKET = "queue.all"  # admins
TRIAGE = "queue.triage"  # tickets in no team yet


# A restricted ticket (hidden from agents who neither lead a team nor administer the
# desk) goes to the restricted twins of its groups, which only team leads join.
RESTRICTED = "queue.restricted."


def team_group(team_id: int, *, restricted: bool = False) -> str:
    return f"{RESTRICTED if restricted else 'queue.'}team.{team_id}"


def agent_group(user_id: int, *, restricted: bool = False) -> str:
    return f"{RESTRICTED if restricted else 'queue.'}agent.{user_id}"


def triage_group(*, restricted: bool = False) -> str:
    return f"{RESTRICTED}triage" if restricted else TRIAGE


def audience(
    team_ids: Iterable[int | None], assignee_id: int | None, *, restricted: bool = False
) -> tuple[str, ...]:
    """The groups that hear about a ticket of these teams (before and after a move) and
    this assignee. `restricted`: only the leads among them (and admins) hear it."""
    groups = [EVERY_TICKET]
    groups += [
        triage_group(restricted=restricted) if t is None else team_group(t, restricted=restricted)
        for t in dict.fromkeys(team_ids)
    ]
    if assignee_id is not None:
        groups.append(agent_group(assignee_id, restricted=restricted))
    return tuple(groups)


class Listener(Protocol):
    """Who a connection belongs to, as far as the queue needs to know."""

    @property
    def is_active(self) -> bool: ...

    @property
    def is_agent(self) -> bool: ...

    @property
    def queue_groups(self) -> Sequence[str]:
        """The groups whose changes this listener may hear (see `audience`)."""
        ...


# Who a WebSocket connection belongs to (from its ASGI scope), or None. Core knows no
# user model: accounts registers the authenticator in its AppConfig.ready(), and until
# one is registered nobody may listen.
Authenticator = Callable[[dict[str, Any]], Awaitable[Listener | None]]
_authenticator: Authenticator | None = None


def set_authenticator(authenticator: Authenticator) -> None:
    """Use `authenticator(scope)` to tell who opened a WebSocket connection."""
    global _authenticator
    _authenticator = authenticator


# The loop the in-process consumers run on (uvicorn's), known once one has connected.
_server_loop: asyncio.AbstractEventLoop | None = None
_publisher: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
_pending = 0
MAX_PENDING = 1000  # sends in flight; past this (layer down or stuck) new ones are dropped


def serving_here() -> None:
    """Note the running loop as this process's server loop: called by every consumer on
    connect, so publishing from synchronous code reaches the in-process layer."""
    global _server_loop
    _server_loop = asyncio.get_running_loop()


class QueueConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: Sequence[str] = ()

    async def connect(self) -> None:
        serving_here()
        self.heard: deque[str] = deque(maxlen=64)
        authenticate = _authenticator
        user = await authenticate(self.scope) if authenticate is not None else None
        # Ticket numbers and changes are for agents' eyes only.
        if user is None or not user.is_active or not user.is_agent:
            await self.close(code=4403)
            return
        self.groups_joined = tuple(user.queue_groups)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def ticket_updated(self, event: dict[str, Any]) -> None:
        change = event.get("id", "")
        if change:
            if change in self.heard:
                return  # the same change through a second group
            self.heard.append(change)
        await self.send_json(
            {"type": "ticket.updated", "number": event["number"], "kind": event["kind"]}
        )


websocket_urlpatterns = [path("ws/queue/", QueueConsumer.as_asgi())]


def _publisher_loop() -> asyncio.AbstractEventLoop:
    global _publisher
    with _lock:
        if _publisher is None or _publisher.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="opora-realtime", daemon=True).start()
            _publisher = loop
        return _publisher


def _sent(future: Future[None]) -> None:
    global _pending
    with _lock:
        _pending -= 1
    if not future.cancelled() and future.exception() is not None:
        # A live update is a courtesy; the change itself is committed.
        logger.warning("could not publish a live update", exc_info=future.exception())


def anyone_may_listen() -> bool:
    """False when a live update could reach nobody (no channel layer, or an in-process
    one that no connection has reached yet): callers skip the reads that shape one."""
    layer = get_channel_layer()
    if layer is None:
        return False
    if isinstance(layer, InMemoryChannelLayer):
        return _server_loop is not None and not _server_loop.is_closed()
    return True


def publish_ticket_event(number: int, kind: str, groups: Sequence[str]) -> None:
    """Tell the agents in `groups` (see `audience`) that ticket `number` changed; never
    waits, never fails."""
    publish_ticket_events([(number, kind, groups)])


def publish_ticket_events(changes: list[tuple[int, str, Sequence[str]]]) -> None:
    """`publish_ticket_event` for many (number, kind, groups), in one hop to the layer."""
    messages = []
    for number, kind, groups in changes:
        payload = {
            "type": "ticket.updated",
            "number": number,
            "kind": kind,
            "id": secrets.token_hex(6),
        }
        messages += [(group, payload) for group in groups]
    if messages:
        _submit(messages)


def publish_to_group(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` (a channel-layer message: its "type" names the consumers' handler)
    to everyone in `group`; never waits, never fails."""
    _submit([(group, payload)])


def publish_to_groups(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """`publish_to_group` for many (group, payload) pairs, in order, in one hop."""
    if messages:
        _submit(messages)


async def _send_in_process(layer: Any, group: str, payload: dict[str, Any]) -> None:
    """`group_send` of the in-process layer without its sweep of every channel and group
    for expired messages, which it runs on each send as well as on each receive: with a
    thousand sockets open that sweep cost more than the send (bench/chat.py). Receiving
    still sweeps; a full channel drops the message, as `group_send` does."""
    for channel in list(layer.groups.get(group, ())):
        with contextlib.suppress(ChannelFull):
            await layer.send(channel, payload)


def _submit(messages: list[tuple[str, dict[str, Any]]]) -> None:
    global _pending
    layer = get_channel_layer()
    if layer is None:
        return
    in_process = isinstance(layer, InMemoryChannelLayer)
    if in_process:
        loop = _server_loop
        if loop is None or loop.is_closed():
            return  # nobody has connected to this process: nobody to tell
    else:
        loop = _publisher_loop()
    with _lock:
        if _pending >= MAX_PENDING:
            logger.warning("live updates are backing up; events dropped")
            return
        _pending += 1

    async def send_all() -> None:
        for group, payload in messages:
            if in_process:
                await _send_in_process(layer, group, payload)
            else:
                await layer.group_send(group, payload)

    sending = send_all()
    try:
        future = asyncio.run_coroutine_threadsafe(sending, loop)
    except RuntimeError:  # the loop closed meanwhile
        sending.close()
        with _lock:
            _pending -= 1
        return
    future.add_done_callback(_sent)
