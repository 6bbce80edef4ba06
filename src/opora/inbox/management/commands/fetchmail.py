"""`opora fetchmail`: poll the IMAP mailboxes once and turn new mail into tickets."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opora.inbox.email.fetch import fetch_mailbox, process_pending
from opora.inbox.email.models import Mailbox


class Command(BaseCommand):
    help = "Fetch new mail from the IMAP mailboxes (all active ones, or those named)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addresses", nargs="*", help="mailbox addresses (default: all)")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="only store the mail and queue its processing for the workers",
        )
        parser.add_argument("--limit", type=int, default=None, help="at most N per mailbox")

    def handle(self, *args: Any, **options: Any) -> None:
        boxes = Mailbox.objects.filter(active=True).exclude(imap_host="")
        if options["addresses"]:
            boxes = boxes.filter(address__in=[a.lower() for a in options["addresses"]])
            if not boxes.exists():
                raise CommandError("no such IMAP mailbox")
        # Mail stored by an earlier run that died before processing it.
        if not options["enqueue"]:
            process_pending()
        failed = 0
        for mailbox in boxes:
            try:
                new, dup = fetch_mailbox(
                    mailbox, process_now=not options["enqueue"], limit=options["limit"]
                )
            except Exception as exc:
                failed += 1
                self.stderr.write(f"{mailbox.address}: {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(f"{mailbox.address}: {new} new, {dup} already stored")
        if failed:
            raise CommandError(f"{failed} mailbox(es) could not be fetched")
