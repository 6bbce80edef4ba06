"""Real mail servers for the tests: Dovecot (IMAP) and an SMTP sink, on 127.0.0.1 only."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from imapclient import IMAPClient

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_packages(*names: str) -> None:
    subprocess.run([str(REPO / "scripts" / "ensure-debian-packages"), *names], check=True)


@dataclass
class Dovecot:
    port: int
    user: str
    password: str

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        client.select_folder("INBOX")
        return client

    def append(self, *messages: bytes) -> None:
        client = self.client()
        try:
            for raw in messages:
                client.append("INBOX", raw)
        finally:
            client.logout()

    def unfetched(self) -> list[int]:
        client = self.client()
        try:
            return list(client.search(["UNKEYWORD", "$OporaFetched", "NOT", "DELETED"]))
        finally:
            client.logout()


_DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# The test may run as root; Dovecot's own processes then drop to its system users.
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 0
mail_location = maildir:{d}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@contextmanager
def run_dovecot(*, user: str = "support@desk.test") -> Iterator[Dovecot]:
    """A throwaway Dovecot with one maildir user, stopped and removed afterwards."""
    ensure_packages("dovecot-imapd")
    # Its own directory under /tmp: Dovecot's unprivileged processes must reach it.
    workdir = Path(tempfile.mkdtemp(prefix="opora-dovecot-"))
    workdir.chmod(0o755)
    for sub in ("run", "state", "home"):
        (workdir / sub).mkdir(exist_ok=True)
    # Mail is owned by an unprivileged user: Dovecot refuses to serve mail as root.
    uid, gid = (65534, 65534) if os.getuid() == 0 else (os.getuid(), os.getgid())
    if os.getuid() == 0:
        os.chown(workdir / "home", uid, gid)
    port = free_port()
    password = "imap-test-password"
    (workdir / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n")
    conf = workdir / "dovecot.conf"
    conf.write_text(_DOVECOT_CONF.format(d=workdir, port=port, uid=uid, gid=gid))
    proc = subprocess.Popen(
        ["dovecot", "-F", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    server = Dovecot(port=port, user=user, password=password)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                server.client().logout()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    log = (workdir / "dovecot.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"Dovecot did not start: {log}") from None
                time.sleep(0.2)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Sink:
    """An SMTP server that keeps what it receives (or refuses, for failure tests)."""

    port: int
    messages: list[bytes] = field(default_factory=list)
    rcpt_answer: str = "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.rcpt_answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_answer

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content
        assert isinstance(data, bytes)
        self.messages.append(data)
        return "250 Message accepted"


@contextmanager
def run_sink(sink: Sink | None = None) -> Iterator[Sink]:
    """Serve `sink` (a fresh one by default) on its port of 127.0.0.1."""
    sink = sink or Sink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, decode_data=False)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def swaks(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Send a mail with swaks to the SMTP server on `port` of 127.0.0.1."""
    return subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{port}", "--timeout", "20", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
