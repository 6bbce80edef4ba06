"""Files from the widget, presence frames, and an outsider's socket refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from opora.accounts.models import User
from opora.chat import routing
from opora.chat.models import AgentPresence, ChatSession, ChatWidget
from opora.tickets.models import Attachment, Message
from tests.chat.conftest import (
    agent_socket,
    agent_token,
    db,
    new_visitor,
    online,
    run,
    visitor_socket,
)
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
    # a file with no text is shown as the file alone; the ticket keeps its name as text
    alone = Client().post(
        url,
        {"file": SimpleUploadedFile("log.txt", b"Error 42", "text/plain")},
        HTTP_X_CHAT_VISITOR=token,
    )
    assert alone.status_code == 201, alone.content
    shown = alone.json()["message"]
    assert (shown["text"], shown["html"]) == ("", "")
    assert [a["name"] for a in shown["attachments"]] == ["log.txt"]
    assert Message.objects.get(pk=shown["id"]).body == "log.txt"
    history = Client().get(f"/chat/api/{widget.public_key}/history", HTTP_X_CHAT_VISITOR=token)
    assert [m["text"] for m in history.json()["messages"]] == ["Look", ""]


def _unseen_for(agent: User, seconds: int) -> None:
    """Time passes: the agent's sockets were last heard from `seconds` ago."""
    AgentPresence.objects.filter(agent=agent).update(
        last_seen_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_connecting_changes_no_presence_the_agent_chooses_it(widget: ChatWidget, alice: User):
    alice_token = agent_token(alice)

    async def scenario() -> list[dict[str, Any]]:
        inbox, queue_page = agent_socket(alice_token), agent_socket(alice_token)
        frames = []
        await inbox.connect()
        frames.append(await inbox.expect("chats"))
        await queue_page.connect()
        await queue_page.expect("chats")
        await inbox.send({"type": "presence", "status": "online"})
        frames.append(await inbox.expect("chats"))
        # every page of hers hears it
        frames.append(await queue_page.expect("presence"))
        await queue_page.send({"type": "presence", "status": "away"})
        frames.append(await inbox.expect("presence", status="away"))
        await inbox.send({"type": "presence", "status": "busy"})
        frames.append(await inbox.expect("error"))
        await inbox.close()
        await queue_page.close()
        return frames

    connected, online_, heard, away, bad = run(scenario)
    assert connected["presence"]["status"] == "offline"  # opening a socket is not a choice
    assert online_["presence"] == {"status": "online", "capacity": 3, "active_chats": 0}
    assert heard == {"type": "presence", "status": "online", "capacity": 3, "active_chats": 0}
    assert away["status"] == "away"
    assert bad["code"] == "invalid_choice"
    # both sockets closed: still away within the grace period, offline after it
    routing.sweep()
    assert AgentPresence.objects.get(agent=alice).status == "away"
    _unseen_for(alice, 61)
    routing.sweep()
    assert AgentPresence.objects.get(agent=alice).status == "offline"


def test_moving_between_pages_keeps_the_agent_online_and_the_offer(
    widget: ChatWidget, alice: User, bob: User
):
    # given Alice and Bob online, Alice in the inbox
    online(alice, bob)
    token, alice_token = new_visitor(widget), agent_token(alice)

    async def scenario() -> dict[str, Any]:
        inbox = agent_socket(alice_token)
        await inbox.connect()
        await inbox.expect("chats")
        visitor = visitor_socket(widget, token)
        await visitor.connect()
        await visitor.expect("hello")
        await visitor.send({"type": "message", "text": "Hello", "client_id": "1"})
        offer = await inbox.expect("offer")
        # when she moves to the queue page: the inbox's socket closes, another opens
        await inbox.close()
        queue_page = agent_socket(alice_token)
        await queue_page.connect()
        chats = await queue_page.expect("chats")
        await queue_page.send({"type": "accept", "chat_id": offer["chat"]["id"]})
        await visitor.expect("state", state="active")
        await queue_page.close()
        await visitor.close()
        return {"offer": offer, "chats": chats}

    frames = run(scenario)
    # then the offer was still hers on the new page, and she took it
    assert frames["chats"]["presence"]["status"] == "online"
    assert [c["id"] for c in frames["chats"]["chats"]] == [frames["offer"]["chat"]["id"]]
    assert frames["chats"]["chats"][0]["offered_to"] == alice.pk
    session = ChatSession.objects.get()
    assert (session.state, session.agent) == ("active", alice)
    assert AgentPresence.objects.get(agent=alice).status == "online"


def test_an_agent_whose_sockets_went_silent_goes_offline_and_the_offer_moves_on(
    widget: ChatWidget, alice: User, bob: User
):
    # given Alice online with a socket open and a chat offered to her
    online(alice, bob)
    token, alice_token = new_visitor(widget), agent_token(alice)

    async def scenario() -> dict[str, Any]:
        inbox = agent_socket(alice_token)
        await inbox.connect()
        await inbox.expect("chats")
        visitor = visitor_socket(widget, token)
        await visitor.connect()
        await visitor.expect("hello")
        await visitor.send({"type": "message", "text": "Hello", "client_id": "1"})
        offer = await inbox.expect("offer")
        # a socket that pings is heard from: the grace period starts again
        await db(_unseen_for)(alice, 61)
        await inbox.send({"type": "ping"})
        pong = await inbox.expect("pong")
        await db(routing.sweep)()
        await visitor.close()
        # the process serving this socket dies: it never closes, never pings again
        return {"offer": offer, "pong": pong}

    frames = run(scenario)
    assert frames["pong"] == {"type": "pong"}
    assert AgentPresence.objects.get(agent=alice).status == "online"
    assert ChatSession.objects.get().offered_to == alice
    # when the grace period passes without a word from her sockets
    _unseen_for(alice, 61)
    routing.sweep()
    # then she is offline and the chat is Bob's offer
    assert AgentPresence.objects.get(agent=alice).status == "offline"
    session = ChatSession.objects.get()
    assert (session.state, session.offered_to) == ("offered", bob)
    assert session.passed_by == [alice.pk]
    # while Bob, heard from within the grace period, stays online
    _unseen_for(bob, 59)
    routing.sweep()
    assert AgentPresence.objects.get(agent=bob).status == "online"


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
