"""Live queue updates in one process (the in-process channel layer, no Redis).

Several nodes sharing updates through Redis are covered by tests/integration.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator

from opora.accounts.actions import issue_api_token
from opora.accounts.models import User
from opora.asgi import application
from opora.tickets.actions import create_ticket


class Listener:
    """A WebSocket client of /ws/queue/ speaking ASGI to the application directly."""

    def __init__(self, token: str) -> None:
        scope = {
            "type": "websocket",
            "path": "/ws/queue/",
            "query_string": b"",
            "headers": [
                (b"host", b"testserver"),
                (b"origin", b"http://testserver"),
                (b"authorization", f"Bearer {token}".encode()),
            ],
            "subprotocols": [],
        }
        self.app = ApplicationCommunicator(application, scope)

    async def connect(self) -> bool:
        await self.app.send_input({"type": "websocket.connect"})
        answer = await self.app.receive_output(timeout=5)
        return bool(answer["type"] == "websocket.accept")

    async def receive(self) -> dict[str, Any]:
        message = await self.app.receive_output(timeout=5)
        assert message["type"] == "websocket.send", message
        event: dict[str, Any] = json.loads(message["text"])
        return event

    async def close(self) -> None:
        await self.app.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.app.wait(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_a_connected_agent_hears_about_a_new_ticket(alice: User, dana: User):
    _, agent_token = issue_api_token(alice)
    _, customer_token = issue_api_token(dana)

    async def scenario() -> tuple[list[dict[str, Any]], bool]:
        agent, customer = Listener(agent_token), Listener(customer_token)
        connected = await agent.connect()
        assert connected
        customer_in = await customer.connect()
        ticket = await sync_to_async(create_ticket)(
            requester=dana, subject="The printer is offline", body="Since Monday.", by=dana
        )
        heard = [await agent.receive() for _ in range(2)]
        assert all(event["number"] == ticket.number for event in heard)
        await agent.close()
        return heard, customer_in

    heard, customer_connected = asyncio.run(scenario())
    # then the agent hears that the ticket was created and got its first message
    assert [event["kind"] for event in heard] == ["created", "reply_added"]
    assert {event["type"] for event in heard} == {"ticket.updated"}
    # and a customer cannot listen to the agents' queue
    assert customer_connected is False


@pytest.mark.django_db(transaction=True)
def test_changes_with_nobody_listening_go_through(dana: User):
    # given no WebSocket connection in this process (or one that has since gone)
    ticket = create_ticket(requester=dana, subject="Invoice", body="Wrong total.", by=dana)
    # then the change is saved as usual
    assert ticket.pk is not None and ticket.messages.count() == 1


@pytest.mark.django_db(transaction=True)
def test_nobody_listens_until_accounts_tells_core_who_connected(alice: User, monkeypatch):
    from opora.core import realtime

    # given core's plumbing without the authenticator accounts registers at start
    monkeypatch.setattr(realtime, "_authenticator", None)
    _, token = issue_api_token(alice)
    # when even an agent connects, then the connection is refused
    assert asyncio.run(Listener(token).connect()) is False
