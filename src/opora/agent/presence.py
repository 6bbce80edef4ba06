"""Who else is on a ticket: "Bob is viewing" / "Bob is typing a reply…", live.

Each open ticket page connects to `/ws/tickets/<number>/`. Only agents who may open the
ticket join (`access_ticket_feed`); everyone else is refused before the socket opens.

The server keeps no list of who is where, so it works the same on the in-process layer
and on Redis with any number of nodes: a page says "here" every few seconds (and
"typing" while the agent writes a reply, debounced by the page), each message is passed
to the ticket's group with a time to live, and the pages forget anyone not heard of
within it. A tab that closes says goodbye ("left"); one that dies simply stops pinging
and drops off the others' pages within `TTL_SECONDS`. When a page joins, the other
connections answer at once with their last state, so it does not wait for the next
round of pings.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path
from django.utils.translation import gettext

from opora.accounts import tokens
from opora.accounts.models import User
from opora.accounts.realtime import connection_user
from opora.core.errors import NotFound
from opora.core.realtime import serving_here
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket

TTL_SECONDS = 30
# One message per this many seconds per connection at most; a page pings every 10 s.
MIN_INTERVAL_SECONDS = 1.0
STATES = {"here": "viewing", "typing": "typing"}


def access_ticket_feed(user: User, number: int) -> Ticket:
    """The ticket whose presence feed this user may join: agents who may open it."""
    if not user.is_active or not user.is_agent:
        raise NotFound(gettext("ticket"))
    return access_ticket(user, number)


def feed_group(ticket_id: int) -> str:
    return f"ticket.presence.{ticket_id}"


@database_sync_to_async
def _feed_for(user: User, number: int) -> Ticket | None:
    try:
        return access_ticket_feed(user, number)
    except NotFound:
        return None


class TicketPresenceConsumer(AsyncJsonWebsocketConsumer):
    group = ""
    user_id = 0
    name = ""
    last_sent = 0.0
    state = "viewing"

    async def connect(self) -> None:
        serving_here()
        user = await connection_user(self.scope, needs=tokens.READ)
        number = int(self.scope["url_route"]["kwargs"]["number"])
        ticket = await _feed_for(user, number) if user is not None else None
        if user is None or ticket is None:
            await self.close(code=4403)
            return
        self.group = feed_group(ticket.pk)
        self.user_id, self.name = user.pk, user.display_name
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.last_sent = time.monotonic()
        await self._tell({"type": "presence.hello"})
        await self._ping()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self._tell({"type": "presence.left"})
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind not in STATES:
            return
        now = time.monotonic()
        if kind == "here" and now - self.last_sent < MIN_INTERVAL_SECONDS:
            return  # a page that pings too fast is not heard more often
        self.last_sent = now
        self.state = STATES[kind]
        await self._ping()

    async def _ping(self) -> None:
        await self._tell({"type": "presence.ping", "state": self.state, "ttl": TTL_SECONDS})

    async def _tell(self, message: dict[str, Any]) -> None:
        payload = {**message, "user": self.user_id, "name": self.name, "from": self.channel_name}
        await self.channel_layer.group_send(self.group, payload)

    def _mine(self, event: dict[str, Any]) -> bool:
        # Nobody is told about themselves, not even from another tab of their own.
        return event.get("from") == self.channel_name or event.get("user") == self.user_id

    async def presence_ping(self, event: dict[str, Any]) -> None:
        if not self._mine(event):
            await self.send_json(
                {
                    "type": "presence",
                    "user": event["user"],
                    "name": event["name"],
                    "state": event["state"],
                    "ttl": event["ttl"],
                }
            )

    async def presence_hello(self, event: dict[str, Any]) -> None:
        # A page joined: this connection says at once who is here, as it last said it.
        if not self._mine(event):
            await self._ping()

    async def presence_left(self, event: dict[str, Any]) -> None:
        if not self._mine(event):
            await self.send_json({"type": "left", "user": event["user"]})


presence_urlpatterns = [path("ws/tickets/<int:number>/", TicketPresenceConsumer.as_asgi())]
