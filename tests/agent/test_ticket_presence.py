"""The ticket's presence feed: who is viewing or typing, for agents who may open it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator

from opora.accounts.actions import issue_api_token
from opora.asgi import application


class Page:
    """One open ticket page's socket, speaking ASGI to the application directly."""

    def __init__(self, token: str, number: int) -> None:
        scope = {
            "type": "websocket",
            "path": f"/ws/tickets/{number}/",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
            "subprotocols": [],
        }
        self.app = ApplicationCommunicator(application, scope)

    async def connect(self) -> bool:
        await self.app.send_input({"type": "websocket.connect"})
        answer = await self.app.receive_output(timeout=15)
        return bool(answer["type"] == "websocket.accept")

    async def say(self, kind: str) -> None:
        await self.app.send_input({"type": "websocket.receive", "text": json.dumps({"type": kind})})

    async def hear(self) -> dict[str, Any]:
        message = await self.app.receive_output(timeout=15)
        assert message["type"] == "websocket.send", message
        event: dict[str, Any] = json.loads(message["text"])
        return event

    async def nothing_more(self) -> bool:
        return bool(await self.app.receive_nothing(timeout=0.3))

    async def close(self) -> None:
        await self.app.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.app.wait(timeout=15)


@pytest.mark.django_db(transaction=True)
def test_two_agents_see_each_other_and_an_outsider_is_refused(alice, bob, otto, dana, make_ticket):
    ticket = make_ticket(dana)
    tokens = {u.name: issue_api_token(u)[1] for u in (alice, bob, otto, dana)}

    async def scenario() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        a, b = Page(tokens["Alice"], ticket.number), Page(tokens["Bob"], ticket.number)
        assert await a.connect()
        assert await b.connect()
        # Bob joins: he hears at once that Alice is here (her connection answers for her)
        seen["bob hears"] = await b.hear()
        seen["alice hears bob"] = await a.hear()
        await b.say("typing")
        seen["alice hears"] = await a.hear()
        await b.close()
        seen["bob left"] = await a.hear()
        seen["alone"] = await a.nothing_more()
        # Otto (Billing) may not open a Support ticket, Dana is a customer
        seen["otto"] = await Page(tokens["Otto"], ticket.number).connect()
        seen["dana"] = await Page(tokens["Dana"], ticket.number).connect()
        seen["missing"] = await Page(tokens["Alice"], 999_999).connect()
        await a.close()
        return seen

    seen = asyncio.run(scenario())
    assert (seen["alice hears bob"]["name"], seen["alice hears bob"]["state"]) == (
        "Bob",
        "viewing",
    )
    assert seen["bob hears"] == {
        "type": "presence",
        "user": ticket.team.members.get(name="Alice").pk,
        "name": "Alice",
        "state": "viewing",
        "ttl": 30,
    }
    assert (seen["alice hears"]["name"], seen["alice hears"]["state"]) == ("Bob", "typing")
    assert seen["bob left"]["type"] == "left"
    assert seen["alone"] is True
    assert (seen["otto"], seen["dana"], seen["missing"]) == (False, False, False)
