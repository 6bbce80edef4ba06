"""Live updates over WebSocket: agents connected to /ws/queue/ hear about ticket changes.

Each message is `{"type": "ticket.updated", "number": N, "kind": "<event kind>"}`: only
the ticket number and what happened, so a client re-reads the ticket through the API,
which applies the viewer's permissions. The channel layer is in-process by default and
Redis with OPORA_REDIS_URL, which lets events from any web node or worker reach agents
connected to any other node.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.urls import path

from opora.accounts.models import User

logger = logging.getLogger("opora.realtime")
QUEUE_GROUP = "agents.queue"


@database_sync_to_async
def _token_user(raw: str) -> User | None:
    from opora.accounts.actions import authenticate_token

    return authenticate_token(raw)


async def _user_of(scope: dict[str, Any]) -> User | None:
    # Scripts send "Authorization: Bearer <token>"; browsers come with their session.
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return await _token_user(token.strip()) if scheme.lower() == "bearer" else None
    user = scope.get("user")
    return user if isinstance(user, User) and user.is_authenticated else None


class QueueConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = await _user_of(self.scope)
        if user is None or not user.is_active or not user.is_agent:
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(QUEUE_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(QUEUE_GROUP, self.channel_name)

    async def ticket_updated(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "ticket.updated", "number": event["number"], "kind": event["kind"]}
        )


websocket_urlpatterns = [path("ws/queue/", QueueConsumer.as_asgi())]


def publish_ticket_event(number: int, kind: str) -> None:
    """Tell connected agents that ticket `number` changed; never fails the caller."""
    publish_ticket_events([(number, kind)])


def publish_ticket_events(changes: list[tuple[int, str]]) -> None:
    """`publish_ticket_event` for many (number, kind) changes, in one hop to the layer."""
    layer = get_channel_layer()
    if layer is None or not changes:
        return

    async def send_all() -> None:
        for number, kind in changes:
            await layer.group_send(
                QUEUE_GROUP, {"type": "ticket.updated", "number": number, "kind": kind}
            )

    try:
        async_to_sync(send_all)()
    except Exception:  # a live update is a courtesy; the change itself is committed
        logger.warning("could not publish ticket event", exc_info=True)
