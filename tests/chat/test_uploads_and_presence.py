"""Files from the widget, presence frames, and an outsider's socket refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opora.accounts.models import User
from opora.chat.models import AgentPresence, ChatSession, ChatWidget
from opora.tickets.models import Attachment
from tests.chat.conftest import agent_socket, agent_token, new_visitor, online, run, visitor_socket
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_sends_a_file_with_the_same_checks_as_email(
    widget: ChatWidget, alice: User, settings: Any
):
    online(alice)
    token = new_visitor(widget)
    url = f"/chat/api/{widget.public_key}/upload"
    response = Client().post(
        url,
        {"file": SimpleUploadedFile("error.png", b"\x89PNG fake", "image/png"), "text": "Look"},
        HTTP_X_CHAT_VISITOR=token,
    )
    assert response.status_code == 201, response.content
    sent = response.json()["message"]
    assert sent["text"] == "Look"
    [attachment] = sent["attachments"]
    assert attachment["name"] == "error.png" and attachment["size"] == 9
    # the signed link opens without any cookie
    download = Client().get(attachment["url"].removeprefix(settings.BASE_URL))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x89PNG fake"  # type: ignore[attr-defined]
    # a blocked type is refused and nothing is stored
    with nothing_written():
        refused = Client().post(
            url,
            {"file": SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")},
            HTTP_X_CHAT_VISITOR=token,
        )
    assert refused.status_code == 422
    assert refused.json()["code"] == "attachment_type_blocked"
    assert Attachment.objects.count() == 1


def test_presence_follows_the_agents_sockets_and_frames(widget: ChatWidget, alice: User):
    alice_token = agent_token(alice)

    async def scenario() -> list[dict[str, Any]]:
        first, second = agent_socket(alice_token), agent_socket(alice_token)
        frames = []
        await first.connect()
        frames.append(await first.expect("chats"))
        await second.connect()
        await second.expect("chats")
        await first.send({"type": "presence", "status": "away"})
        frames.append(await first.expect("chats"))
        await first.close()
        return frames

    connected, away = run(scenario)
    assert connected["presence"]["status"] == "online"
    assert away["presence"]["status"] == "away"
    # one socket of two closed: still there; the last one closes: offline
    presence = AgentPresence.objects.get(agent=alice)
    assert presence.status == "away"

    async def close_last() -> None:
        socket = agent_socket(alice_token)
        await socket.connect()
        await socket.expect("chats")
        await socket.close()

    AgentPresence.objects.filter(agent=alice).update(connections=0)
    run(close_last)
    assert AgentPresence.objects.get(agent=alice).status == "offline"


def test_an_agent_outside_the_team_cannot_accept_through_the_socket(
    widget: ChatWidget, alice: User, otto: User
):
    online(alice)
    token, otto_token = new_visitor(widget), agent_token(otto)

    async def write() -> None:
        visitor = visitor_socket(widget, token)
        await visitor.connect()
        await visitor.expect("hello")
        await visitor.send({"type": "message", "text": "Hello", "client_id": "1"})
        await visitor.expect("message")
        await visitor.close()

    run(write)
    session = ChatSession.objects.get()

    async def try_accept() -> dict[str, Any]:
        otto_socket = agent_socket(otto_token)
        await otto_socket.connect()
        await otto_socket.expect("chats")
        await otto_socket.send({"type": "accept", "chat_id": session.pk})
        error = await otto_socket.expect("error")
        await otto_socket.send(
            {"type": "message", "chat_id": session.pk, "text": "Hi", "client_id": "x"}
        )
        second = await otto_socket.expect("error")
        await otto_socket.close()
        return {"accept": error, "message": second}

    errors = run(try_accept)
    assert errors["accept"]["code"] == "not_found"
    assert errors["message"]["code"] == "not_found"
    session.refresh_from_db()
    assert session.state == "offered" and session.offered_to == alice
    assert session.ticket is not None and session.ticket.messages.count() == 1
