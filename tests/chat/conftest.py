"""Live chat test helpers: sockets speaking ASGI to the application, widgets, visitors.

Sockets run on one event loop per test (`run(scenario)`), as uvicorn would host them;
the synchronous actions they trigger publish to that loop through the in-process
channel layer, exactly as in production without Redis.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.test import Client

from opora.accounts.actions import issue_api_token
from opora.accounts.models import Team, User
from opora.asgi import application
from opora.chat.actions import set_presence
from opora.chat.models import ChatWidget
from opora.chat.widgets import WidgetFields, save_widget

T = TypeVar("T")
WAIT = 5  # seconds any single frame may take to arrive before the test fails


class Socket:
    """One WebSocket client of the application."""

    def __init__(
        self, path: str, *, headers: list[tuple[bytes, bytes]] | None = None, query: str = ""
    ) -> None:
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": query.encode(),
            "headers": [(b"host", b"testserver"), *(headers or [])],
            "subprotocols": [],
            "client": ("127.0.0.1", 50000),
        }
        self.app = ApplicationCommunicator(application, scope)
        self.close_code: int | None = None

    async def connect(self) -> bool:
        await self.app.send_input({"type": "websocket.connect"})
        answer = await self.app.receive_output(timeout=WAIT)
        if answer["type"] == "websocket.close":
            self.close_code = answer.get("code")
            return False
        return bool(answer["type"] == "websocket.accept")

    async def send(self, frame: dict[str, Any]) -> None:
        await self.app.send_input({"type": "websocket.receive", "text": json.dumps(frame)})

    async def receive(self) -> dict[str, Any]:
        message = await self.app.receive_output(timeout=WAIT)
        if message["type"] == "websocket.close":
            self.close_code = message.get("code")
            return {"type": "closed", "code": message.get("code")}
        assert message["type"] == "websocket.send", message
        frame: dict[str, Any] = json.loads(message["text"])
        return frame

    async def expect(self, kind: str, **fields: Any) -> dict[str, Any]:
        """The next frame of this kind (and these field values); others are skipped."""
        while True:
            frame = await self.receive()
            if frame["type"] == "closed" and kind != "closed":
                raise AssertionError(f"closed while waiting for {kind}: {frame}")
            if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    async def reply(self, author: str = "agent") -> dict[str, Any]:
        """The next message frame written by `author` (a visitor's own echoes skipped)."""
        while True:
            frame = await self.expect("message")
            if frame["message"]["author"] == author:
                return frame

    async def nothing_more(self) -> bool:
        """True when nothing arrives for a moment (used only to show absence)."""
        return bool(await self.app.receive_nothing(timeout=0.3))

    async def pending(self) -> list[dict[str, Any]]:
        """The frames that arrive until none comes for a moment."""
        frames = []
        while not await self.nothing_more():
            frames.append(await self.receive())
        return frames

    async def close(self) -> None:
        await self.app.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.app.wait(timeout=WAIT)


def visitor_socket(widget: ChatWidget, token: str) -> Socket:
    return Socket(
        f"/ws/chat/visitor/{widget.public_key}/",
        query=f"token={token}",
        headers=[(b"origin", b"https://shop.example.com")],
    )


def agent_token(user: User) -> str:
    """An API token for an agent's socket (issued before the event loop runs)."""
    _, token = issue_api_token(user)
    return token


def agent_socket(token: str) -> Socket:
    return Socket(
        "/ws/chat/agent/",
        headers=[(b"origin", b"http://testserver"), (b"authorization", f"Bearer {token}".encode())],
    )


def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(scenario())


def db(fn: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    return sync_to_async(fn, thread_sensitive=True)


@pytest.fixture
def widget(support: Team, ada: User) -> ChatWidget:
    return save_widget(
        None,
        WidgetFields(name="Shop", team_id=support.pk, greeting_en="Hi!", greeting_ru="Привет!"),
        by=ada,
    )


def new_visitor(widget: ChatWidget, **profile: Any) -> str:
    """A visitor token from POST /chat/api/<key>/visitor."""
    response = Client().post(
        f"/chat/api/{widget.public_key}/visitor",
        json.dumps(profile),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token: str = response.json()["token"]
    return token


def online(*agents: User) -> None:
    for agent in agents:
        set_presence(agent, "online")
