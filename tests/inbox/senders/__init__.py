"""Mail fixtures of the sender, noise and trust tests (written for these tests), and
`opora smtpd` run with a DNS answered from a dict, never the internet."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from asgiref.sync import SyncToAsync
from django.db import connections

from opora.core.tasks import run_queued_tasks
from opora.inbox.email.smtpd import make_controller
from tests.inbox.servers import free_port

HERE = Path(__file__).parent
Send = Callable[..., None]


def fixture(name: str) -> bytes:
    return (HERE / name).read_bytes()


def dns_from(records: dict[str, str]) -> Callable[..., bytes]:
    """A DNS of TXT records: {"sel._domainkey.acme.test": "v=DKIM1; …"}."""

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        return records.get(name.decode().rstrip(".").lower(), "").encode()

    return lookup


@contextmanager
def running_smtpd(records: dict[str, str] | None = None) -> Iterator[Send]:
    """The receiver on a free port; `send(raw, mail_from=…)` delivers and processes."""
    port = free_port()
    controller = make_controller(host="127.0.0.1", port=port, dnsfunc=dns_from(records or {}))
    controller.start()

    def send(raw: bytes, *, mail_from: str, to: str = "support@desk.test") -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail(mail_from, [to], raw)
        run_queued_tasks()

    try:
        yield send
    finally:
        controller.stop()
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)
