from __future__ import annotations

import pytest

from opora.accounts.models import User
from opora.chat.models import ChatSession, ChatWidget
from tests.chat.conftest import (
    agent_socket,
    agent_token,
    new_visitor,
    online,
    run,
    visitor_socket,
)


@pytest.mark.django_db(transaction=True)
def test_a_visitor_and_an_agent_talk(widget: ChatWidget, alice: User):
    online(alice)
    alice_token = agent_token(alice)
    token = new_visitor(widget, name="Vera", email="vera@example.com", language="en")

    async def scenario() -> None:
        agent = agent_socket(alice_token)
        assert await agent.connect()
        await agent.expect("chats")
        visitor = visitor_socket(widget, token)
        assert await visitor.connect()
        hello = await visitor.expect("hello")
        assert hello["online"] is True
        await visitor.send({"type": "message", "text": "Hello <b>there</b>", "client_id": "c1"})
        echo = await visitor.expect("message")
        assert echo["message"]["client_id"] == "c1"
        offer = await agent.expect("offer")
        chat_id = offer["chat"]["id"]
        await agent.send({"type": "accept", "chat_id": chat_id})
        state = await visitor.expect("state", state="active")
        assert state["agent"] == "Alice"
        await agent.send(
            {"type": "message", "chat_id": chat_id, "text": "Hi Vera", "client_id": "a1"}
        )
        reply = await visitor.expect("message")
        assert reply["message"]["text"] == "Hi Vera"
        assert reply["message"]["author"] == "agent"
        await visitor.close()
        await agent.close()

    run(scenario)
    session = ChatSession.objects.get()
    assert session.state == "active"
    assert session.ticket is not None and session.ticket.channel == "chat"
