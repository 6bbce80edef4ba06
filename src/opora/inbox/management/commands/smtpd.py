"""`opora smtpd`: receive mail by SMTP (or LMTP) from an MTA and queue it for processing."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from opora.inbox.email.smtpd import make_controller


class Command(BaseCommand):
    help = "Listen for incoming mail (SMTP, or LMTP with --lmtp); unknown recipients refused."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.SMTPD_HOST)
        parser.add_argument("--port", type=int, default=settings.SMTPD_PORT)
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")

    def handle(self, *args: Any, **options: Any) -> None:
        controller = make_controller(
            host=options["host"], port=options["port"], lmtp=options["lmtp"]
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        controller.start()
        kind = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(f"{kind} on {options['host']}:{options['port']}", ending="\n")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
