"""`opora ingest FILE.eml|DIR|MBOX...`: import stored mail through the normal pipeline."""

from __future__ import annotations

import mailbox as mboxlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opora.inbox.email.models import Mailbox, RawState
from opora.inbox.email.pipeline import BATCH_SIZE, process_many, receive_many


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(5) == b"From "


def _messages(paths: list[Path]) -> Iterator[bytes]:
    for path in paths:
        if path.is_dir():
            yield from _messages(sorted(p for p in path.rglob("*") if p.is_file()))
        elif _is_mbox(path):
            box = mboxlib.mbox(path, create=False)
            for key in box.iterkeys():
                yield box.get_bytes(key)
        else:
            yield path.read_bytes()


def _batches(messages: Iterator[bytes]) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for data in messages:
        batch.append(data)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _count(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_dir():
            total += _count(sorted(p for p in path.rglob("*") if p.is_file()))
        elif _is_mbox(path):
            total += len(mboxlib.mbox(path, create=False))
        else:
            total += 1
    return total


class Command(BaseCommand):
    help = "Import .eml files, directories of them (maildir included) and mbox files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--mailbox", default="", help="address of the receiving mailbox")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(p) for p in options["paths"]]
        for path in paths:
            if not path.exists():
                raise CommandError(f"{path}: no such file or directory")
        box = None
        if options["mailbox"]:
            box = Mailbox.objects.filter(address=options["mailbox"].lower()).first()
            if box is None:
                raise CommandError(f"no mailbox {options['mailbox']}")
        total = _count(paths)
        counts = {"new": 0, "duplicate": 0, "parsed": 0, "failed": 0, "ignored": 0}
        show = not options["quiet"] and sys.stderr.isatty()
        done = 0
        for batch in _batches(_messages(paths)):
            stored = receive_many(batch, mailbox=box, source="file")
            waiting = [row.pk for row, _ in stored if row.state == RawState.RECEIVED]
            processed = {row.pk: row for row in process_many(waiting)}
            for row, created in stored:
                counts["new" if created else "duplicate"] += 1
                state = processed.get(row.pk, row).state
                if created:
                    counts[state if state in counts else "failed"] += 1
            done += len(batch)
            if show:
                width = 30
                filled = width * done // max(total, 1)
                sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
                sys.stderr.flush()
        if show:
            sys.stderr.write("\n")
        self.stdout.write(
            "{new} new ({parsed} parsed, {failed} flagged for review, {ignored} ignored), "
            "{duplicate} already stored".format(**counts)
        )
