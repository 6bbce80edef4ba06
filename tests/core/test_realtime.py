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

    def __init__(self, token: str, *, origin: bytes | None = b"http://testserver") -> None:
        headers = [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())]
        if origin is not None:
            headers.append((b"origin", origin))
        scope = {
            "type": "websocket",
            "path": "/ws/queue/",
            "query_string": b"",
            "headers": headers,
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


@pytest.mark.django_db(transaction=True)
def test_agents_hear_only_about_tickets_they_may_open(
    alice: User, otto: User, ada: User, dana: User, support: Any, billing: Any
) -> None:
    from opora.tickets.actions import TicketChanges, update_ticket

    tokens = {u.email: issue_api_token(u)[1] for u in (alice, otto, ada)}

    async def collect() -> dict[str, list[str]]:
        listeners = {email: Listener(token) for email, token in tokens.items()}
        for listener in listeners.values():
            assert await listener.connect()
        ticket = await sync_to_async(create_ticket)(
            requester=dana, subject="Printer", body="Offline.", by=ada, team=support
        )
        await sync_to_async(update_ticket)(ticket, by=ada, changes=TicketChanges(team=billing.pk))
        await sync_to_async(update_ticket)(ticket, by=ada, changes=TicketChanges(priority="high"))
        heard: dict[str, list[str]] = {}
        for email, listener in listeners.items():
            kinds = []
            while True:
                try:
                    message = await listener.app.receive_output(timeout=0.5)
                except TimeoutError:  # nothing more (the communicator stops the app)
                    break
                kinds.append(json.loads(message["text"])["kind"])
            heard[email] = kinds
        return heard

    heard = asyncio.run(collect())
    assert heard[alice.email] == ["created", "reply_added", "team_changed"]
    assert heard[otto.email] == ["team_changed", "priority_changed"]
    assert heard[ada.email] == ["created", "reply_added", "team_changed", "priority_changed"]


@pytest.mark.django_db(transaction=True)
def test_a_script_with_a_token_needs_no_origin_but_a_foreign_page_is_refused(
    alice: User,
) -> None:
    _, token = issue_api_token(alice)
    assert asyncio.run(Listener(token, origin=None).connect()) is True
    # a page of another site cannot attach a token, and its origin is refused
    assert asyncio.run(Listener("", origin=b"https://evil.example").connect()) is False
