"""A worker killed in the middle of sending a reply loses nothing and doubles nothing:
another worker delivers it once its claim runs out, and it is delivered exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.inbox.servers import Sink, free_port, run_sink

pytestmark = pytest.mark.integration
OPORA = str(Path(sys.executable).with_name("opora"))

SETUP = """
from opora.accounts.actions import create_user
from opora.tickets import actions
agent = create_user(email="alice@desk.test", name="Alice", role="agent", support_line=1, by=None)
dana = create_user(email="dana@acme.test", name="Dana", by=None)
ticket = actions.create_ticket(
    requester=dana, subject="Cannot log in", body="Since this morning.", by=dana, channel="email"
)
actions.add_message(ticket, by=agent, body="Please reset your password here.")
"""


@dataclass
class StallingSink(Sink):
    """Holds the first message's DATA unanswered until released, then refuses it, as a
    server does whose client went away before it answered; later messages are kept."""

    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Connection lost"
        return await super().handle_DATA(server, session, envelope)


def _opora(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPORA, *args], env=env, capture_output=True, text=True, timeout=120, check=True
    )


def _delivery(db: Path) -> tuple[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        state, attempts = conn.execute("select state, attempts from inbox_delivery").fetchone()
    return str(state), int(attempts)


def _wait(what: str, check: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def test_a_worker_killed_mid_delivery_leaves_the_reply_to_be_delivered_exactly_once(
    tmp_path: Path,
) -> None:
    with run_sink(StallingSink(port=free_port())) as sink:
        assert isinstance(sink, StallingSink)
        # given an installation of its own whose mail goes to the SMTP server, and an
        # agent's reply waiting in the outbox
        data = tmp_path / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPORA_")}
        env.update(
            OPORA_DATA_DIR=str(data),
            OPORA_SECRET_KEY="delivery-kill-test",
            OPORA_SMTP_HOST="127.0.0.1",
            OPORA_SMTP_PORT=str(sink.port),
            OPORA_DELIVERY_LEASE_SECONDS="2",
            OPORA_WORKER_HEARTBEAT_SECONDS="1",
            OPORA_WORKER_DEAD_AFTER_SECONDS="3",
            DJANGO_SETTINGS_MODULE="opora.settings",
        )
        _opora(env, "migrate", "--noinput", "--verbosity", "0")
        _opora(env, "shell", "-c", SETUP)
        db = data / "opora.sqlite3"
        assert _delivery(db) == ("queued", 0)

        # when a worker is killed (SIGKILL, no clean-up) while the server has the mail
        # but has not yet answered for it
        first = subprocess.Popen([OPORA, "worker"], env=env, stdout=subprocess.DEVNULL)
        try:
            assert sink.stalled.wait(timeout=120), "the worker never sent the mail"
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            _stop(first)
            sink.release.set()
        assert sink.messages == []
        assert _delivery(db) == ("queued", 0)

        # and another worker (with the scheduler, which re-queues a dead worker's jobs)
        # takes over
        second = subprocess.Popen(
            [OPORA, "worker", "--scheduler", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait("the reply to be delivered", lambda: _delivery(db)[0] == "sent")
        finally:
            _stop(second)

        # then the customer has the reply once, and nothing sends it again
        _opora(env, "shell", "-c", "from opora.inbox.delivery import sweep; sweep()")
        _opora(env, "worker", "--once")
        assert len(sink.messages) == 1
        assert b"Please reset your password here." in sink.messages[0]
        assert _delivery(db) == ("sent", 1)
