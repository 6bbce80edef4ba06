"""The phone socket of the agent's workspace: `/ws/phone/`.

Every workspace page opens it (`static/telephony/phone-card.js`); it only listens. The
server sends each agent the cards built for that agent (`cards.py`), so what arrives
here was already checked against what the agent may open. Agents only: anyone else is
refused (4403); a script's token needs the `read` scope.
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from opora.accounts import tokens
from opora.accounts.realtime import connection_user
from opora.core.realtime import serving_here
from opora.telephony.cards import phone_group

CLOSE_FORBIDDEN = 4403


class PhoneConsumer(AsyncJsonWebsocketConsumer):
    group: str = ""

    async def connect(self) -> None:
        serving_here()
        user = await connection_user(self.scope, needs=tokens.READ)
        if user is None or not user.is_active or not user.is_agent:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = phone_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return  # the socket only listens

    async def phone_card(self, event: dict[str, Any]) -> None:
        await self.send_json(event["card"])


phone_urlpatterns = [path("ws/phone/", PhoneConsumer.as_asgi())]
