"""E-mail intake in batches: the pipeline of `pipeline.py` for many messages at once.

`receive_many` stores a batch of raw messages with one multi-row insert (deduplicated
on Message-ID + SHA-256 as `receive` does). `process_many` reads them all, resolves
their senders, threads them and writes new tickets with multi-row inserts, in one
transaction. It handles the common case — a person's mail that opens a ticket or
answers one — with the same steps as `pipeline.process`; anything else (auto-replies,
bounces, our own mail, agents' mail, oversized or unreadable mail) goes through
`pipeline.process` one by one after the batch. If the batch itself fails, every message
of it is processed one by one: one bad message never costs the others anything.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from opora.accounts.actions import get_or_create_requesters
from opora.accounts.models import User
from opora.core.bulk import update_rows
from opora.core.errors import OporaError
from opora.inbox.email import noise, outbound
from opora.inbox.email.models import Mailbox, RawMessage, RawState
from opora.inbox.email.pipeline import (
    _admit,
    _content,
    _Context,
    _new_ticket,
    _noise_kind,
    _opened,
    _read,
    _Reading,
    _replied,
    process,
    quick_message_id,
)
from opora.inbox.email.threading import Lookups, thread
from opora.tickets.actions import PreparedTicket, prepare_ticket
from opora.tickets.bulk import PreparedReply, add_replies, create_tickets
from opora.tickets.models import Channel, Ticket, TicketStatus

logger = logging.getLogger("opora.inbox.email")

BATCH_SIZE = 200


def receive_many(
    raws: Sequence[bytes], *, mailbox: Mailbox | None = None, source: str = "file"
) -> list[tuple[RawMessage, bool]]:
    """`receive` for many messages: (row, created) for each, stored and committed."""
    keys = [(quick_message_id(raw), hashlib.sha256(raw).hexdigest()) for raw in raws]
    digests = sorted({digest for _, digest in keys})
    stored = {(r.message_id, r.sha256) for r in _stored(digests)}
    fresh: dict[tuple[str, str], RawMessage] = {}
    for raw, key in zip(raws, keys, strict=True):
        if key not in stored and key not in fresh:
            fresh[key] = RawMessage(
                mailbox=mailbox,
                message_id=key[0],
                sha256=key[1],
                size=len(raw),
                raw=raw,
                source=source[:16],
            )
    with transaction.atomic():
        # A message another process stores meanwhile is simply theirs.
        RawMessage.objects.bulk_create(list(fresh.values()), ignore_conflicts=True)
    rows = {(r.message_id, r.sha256): r for r in _stored(digests)}
    out = []
    for key in keys:
        created = key in fresh
        fresh.pop(key, None)  # a second copy in the same batch is a duplicate
        out.append((rows[key], created))
    return out


def _stored(digests: list[str]) -> list[RawMessage]:
    return list(RawMessage.objects.filter(sha256__in=digests).defer("raw"))


def receive_and_process_many(
    raws: Sequence[bytes], *, mailbox: Mailbox | None = None, source: str = "file"
) -> list[RawMessage]:
    """Store and process many messages, in batches of `BATCH_SIZE`."""
    out: list[RawMessage] = []
    for start in range(0, len(raws), BATCH_SIZE):
        rows = receive_many(raws[start : start + BATCH_SIZE], mailbox=mailbox, source=source)
        waiting = [row.pk for row, _ in rows if row.state == RawState.RECEIVED]
        done = {row.pk: row for row in process_many(waiting)}
        out += [done.get(row.pk, row) for row, _ in rows]
    return out


def process_many(raw_ids: Sequence[int]) -> list[RawMessage]:
    """`process` for many stored messages; safe to call twice. Returns their rows."""
    ids = list(dict.fromkeys(raw_ids))
    if not ids:
        return []
    batch = _Batch()
    try:
        with transaction.atomic():
            alone = batch.run(ids)
    except Exception as exc:
        # Database trouble or a bug in the batch: nothing of it was written; each
        # message gets its own chance, and its own needs-review fallback.
        logger.warning(
            "batch of %s messages failed (%s): one by one",
            len(ids),
            type(exc).__name__,
            exc_info=True,
        )
        alone = ids
    admitted = {item.ctx.raw.pk for item in batch.items if item.ctx.admitted}
    for raw_id in sorted(alone):  # in arrival order, so replies follow their originals
        # Counted against its sender's rate limit once, whichever path takes it.
        process(raw_id, admitted=raw_id in admitted)
    rows = {r.pk: r for r in RawMessage.objects.filter(pk__in=ids).defer("raw")}
    return [rows[i] for i in ids if i in rows]


def _save_outcomes(rows: list[RawMessage]) -> None:
    """The state, ticket and message of each processed raw row, in one batch."""
    now = timezone.now()
    for raw in rows:
        raw.processed_at = now
    update_rows(RawMessage, rows, ("state", "error", "ticket", "ticket_message", "processed_at"))


@dataclass
class _Item:
    ctx: _Context
    reading: _Reading
    person: User | None = None
    ticket: Ticket | None = None  # the ticket it continues or opened
    via: int | None = None  # position of an earlier message in the batch it continues
    reply: bool = False
    prepared: PreparedTicket | None = None
    alone: bool = False  # left for the one-by-one path


class _Batch:
    def __init__(self) -> None:
        self.items: list[_Item] = []
        self.alone: list[int] = []
        self.finished: list[RawMessage] = []

    def run(self, ids: list[int]) -> list[int]:
        """Process what the batch can; returns the ids to process one by one."""
        rows = list(
            RawMessage.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("mailbox", "mailbox__team")
            .filter(pk__in=ids, state=RawState.RECEIVED)
            .order_by("id")
        )
        own = noise.own_addresses()
        for raw in rows:
            self._read(_Context(raw=raw, mailbox=raw.mailbox, own=own))
        self._find_people()
        self._thread()
        self._open_tickets()
        self._add_replies()
        _save_outcomes(self.finished)
        return self.alone

    def _leave(self, item: _Item) -> None:
        item.alone = True
        self.alone.append(item.ctx.raw.pk)

    def _read(self, ctx: _Context) -> None:
        try:
            reading = _read(ctx)
        except Exception:
            self.alone.append(ctx.raw.pk)  # it will be flagged for review there
            return
        if reading.too_large or not reading.sender or _noise_kind(ctx, reading):
            self.alone.append(ctx.raw.pk)
            return
        if not _admit(ctx, reading):
            self.finished.append(ctx.raw)  # ignored: a flood from this sender
            return
        self.items.append(_Item(ctx, reading))

    def _find_people(self) -> None:
        wanted: dict[str, tuple[str, str]] = {}
        for item in self.items:
            reading = item.reading
            wanted.setdefault(reading.sender, (reading.mail.from_name, reading.language))
        people = get_or_create_requesters(wanted)
        for item in self.items:
            item.person = people.get(item.reading.sender)
            # Agents' mail (replies, forwards for a customer) and addresses we cannot
            # accept take the one-by-one path.
            if item.person is None or item.person.is_agent:
                self._leave(item)

    def _thread(self) -> None:
        live = [i for i in self.items if not i.alone]
        found = Lookups.load([(i.reading.mail, i.reading.mail.delivered_to) for i in live])
        earlier: dict[str, int] = {}
        for position, item in enumerate(self.items):
            if item.alone:
                continue
            mail = item.reading.mail
            ticket, _how, via = thread(
                mail,
                sender=item.person,
                recipients=mail.delivered_to,
                found=found,
                earlier=earlier,
            )
            if via is not None and self.items[via].alone:
                self._leave(item)  # it follows a message that goes one by one
                continue
            item.via = via
            continued = ticket is not None or via is not None
            open_ticket = via is not None or (
                ticket is not None and ticket.status != TicketStatus.CLOSED
            )
            item.ticket = ticket
            item.reply = open_ticket
            if not open_ticket:
                try:
                    item.prepared = self._prepare(item, reply=continued)
                except OporaError:
                    self._leave(item)
                    continue
            if mail.message_id:
                earlier[mail.message_id] = position

    def _prepare(self, item: _Item, *, reply: bool) -> PreparedTicket:
        assert item.person is not None
        content = _content(item.ctx, item.reading, reply=reply)
        args = _new_ticket(item.reading, requester=item.person, person=item.person, content=content)
        return prepare_ticket(**args)

    def _open_tickets(self) -> None:
        by_mailbox: dict[int | None, list[_Item]] = {}
        for item in self.items:
            if item.prepared is not None and not item.alone:
                by_mailbox.setdefault(item.ctx.raw.mailbox_id, []).append(item)
        for group in by_mailbox.values():
            mailbox = group[0].ctx.mailbox
            team = mailbox.team if mailbox else None
            opened = create_tickets([i.prepared for i in group if i.prepared], team=team)
            for item, (ticket, first) in zip(group, opened, strict=True):
                item.ticket = ticket
                assert item.person is not None
                _opened(item.ctx, item.reading, ticket, first, by=item.person)
                self.finished.append(item.ctx.raw)
            if mailbox is not None:
                outbound.schedule_acknowledgements([t for t, _ in opened], mailbox)

    def _add_replies(self) -> None:
        items: list[_Item] = []
        for item in self.items:
            if not item.reply or item.alone:
                continue
            if item.via is not None:
                parent = self.items[item.via]
                if parent.alone or parent.ticket is None:
                    self._leave(item)
                    continue
                item.ticket = parent.ticket
            items.append(item)
        replies = []
        for item in items:
            assert item.person is not None and item.ticket is not None
            text, html, files = _content(item.ctx, item.reading, reply=True)
            replies.append(
                PreparedReply(
                    ticket_id=item.ticket.pk,
                    by=item.person,
                    body=text,
                    body_html=html,
                    channel=Channel.EMAIL,
                    external_id=item.reading.mail.message_id,
                    attachments=files,
                )
            )
        for item, message in zip(items, add_replies(replies), strict=True):
            if message is None:
                # A closed ticket (a follow-up opens), the answer bot waiting, a reply
                # the ticket refuses: the one-by-one path decides, in arrival order.
                self._leave(item)
                continue
            assert item.person is not None
            item.ticket = message.ticket
            _replied(item.ctx, item.reading, message.ticket, message, by=item.person)
            self.finished.append(item.ctx.raw)
