"""An ASGI live server for browser tests that need WebSockets.

pytest-django's live_server speaks WSGI only. This one serves `opora.asgi.application`
(HTTP through its thread pool, WebSockets through Channels) with uvicorn on 127.0.0.1,
on a free port, in a background thread of the test process: it uses the test database
and the in-process channel layer, so what the browser does is in the database the test
reads, and what the test writes reaches the browser. One server per test session; each
test still gets its own clean data from `transactional_db`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from channels.layers import channel_layers
from django.db import connections
from django.test.utils import override_settings

from tests.e2e.conftest import Session

IN_MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
START_TIMEOUT_S = 20


class AsgiLiveServer:
    """uvicorn serving one ASGI application in a daemon thread."""

    def __init__(self, application: Any) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
            # The test ends connections itself; never wait long for them.
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    def start(self) -> None:
        started = threading.Event()

        def run() -> None:
            try:
                self.server.run(sockets=[self.socket])
            except BaseException as exc:  # reported by start() below
                self.failure = exc
            finally:
                started.set()

        self.thread = threading.Thread(target=run, name="asgi-live-server", daemon=True)
        self.thread.start()
        # uvicorn sets `started` once it listens; a crash ends the thread instead.
        for _ in range(START_TIMEOUT_S * 20):
            if self.server.started or started.wait(0.05):
                break
        if not self.server.started:
            raise RuntimeError(f"the ASGI live server did not start: {self.failure!r}")

    def wait_idle(self, timeout_s: float = 10) -> None:
        """Until the server runs no request or socket: closing a browser ends its sockets,
        and their last writes (an agent going offline) must not meet the next test's
        clean-up of the database."""
        deadline = time.monotonic() + timeout_s
        state = self.server.server_state
        while (state.tasks or state.connections) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture(scope="session")
def asgi_live_server(django_db_setup: None, django_db_blocker: Any) -> Iterator[AsgiLiveServer]:
    # The in-process layer: the server and the test share one process, so no Redis.
    layer_settings = override_settings(CHANNEL_LAYERS=IN_MEMORY_LAYER)
    layer_settings.enable()
    channel_layers.backends.clear()
    from opora.asgi import application

    server = AsgiLiveServer(application)
    server.start()
    yield server
    server.stop()
    channel_layers.backends.clear()
    layer_settings.disable()
    # Pooled PostgreSQL connections of the server's threads would keep the test
    # database from being dropped.
    with django_db_blocker.unblock():
        for connection in connections.all():
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None:
                close_pool()


@pytest.fixture
def open_chat_session(
    browser: Any, asgi_live_server: AsgiLiveServer, transactional_db: None
) -> Iterator[Any]:
    """Like `open_session`, against the ASGI server (WebSockets work)."""
    sessions: list[Session] = []

    def make(locale: str = "en-US", *, width: int | None = None) -> Session:
        session = Session(browser, asgi_live_server.url, locale)
        if width is not None:
            session.page.set_viewport_size({"width": width, "height": 844})
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.context.close()
    asgi_live_server.wait_idle()
