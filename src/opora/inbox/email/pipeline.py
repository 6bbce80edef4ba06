"""The one way mail comes in: receive → store raw → process (parse, thread, ticket).

IMAP polling, the SMTP/LMTP receiver, `opora ingest` and the intake job all store raw
messages with `receive_many` (committed, deduplicated on Message-ID + SHA-256) and then
`process_many` them. One message is a batch of one: `receive` and `process` are the
same functions with a single message, so every rule is written once.

A batch reads all its messages, finds or creates all senders at once, threads them
against the database and against each other, opens new tickets with one insert per
table and adds replies likewise (tickets/opening.py, tickets/replies.py). Nothing a
customer sends is lost: a message that cannot be read, or that a ticket refuses,
becomes a ticket tagged "needs-review" with the original attached; if a whole batch
fails, each of its messages is processed again as a batch of one.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.accounts.actions import (
    get_or_create_requester,
    get_or_create_requesters,
    mark_undeliverable,
)
from opora.accounts.models import User
from opora.core.bulk import update_rows, upsert_rows
from opora.core.errors import OporaError
from opora.inbox.email import noise, outbound, trust
from opora.inbox.email.models import Mailbox, RawMessage, RawState
from opora.inbox.email.parse import ParsedMail
from opora.inbox.email.reading import (
    FORWARD_SUBJECT,
    Reading,
    best_effort_headers,
    content,
    forwarded_sender,
    no_nul,
    quick_message_id,
    read,
    read_ahead,
    report_references,
    shown,
    subject_of,
)
from opora.inbox.email.threading import Lookups, find_ticket, thread
from opora.tickets import actions as ticket_actions
from opora.tickets import cleaning
from opora.tickets import events as ticket_events
from opora.tickets.acknowledgements import acknowledged_elsewhere
from opora.tickets.actions import NewMessage, PreparedTicket
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Channel, Message, Ticket, TicketStatus

logger = logging.getLogger("opora.inbox.email")

BATCH_SIZE = 200
NEEDS_REVIEW = "needs-review"
TOO_LARGE = "too-large"
UNKNOWN_SENDER = "unknown-sender@opora.invalid"

__all__ = [
    "BATCH_SIZE",
    "process",
    "process_many",
    "quick_message_id",
    "receive",
    "receive_and_process",
    "receive_and_process_many",
    "receive_many",
]


# --- receive: store the raw bytes first --------------------------------------------


def receive(
    raw: bytes, *, mailbox: Mailbox | None = None, source: str = "file"
) -> tuple[RawMessage, bool]:
    """Store the raw bytes (committed on return); (row, False) when already received."""
    [(row, created)] = receive_many([raw], mailbox=mailbox, source=source)
    return row, created


def receive_many(
    raws: Sequence[bytes], *, mailbox: Mailbox | None = None, source: str = "file"
) -> list[tuple[RawMessage, bool]]:
    """Store many messages: (row, created) for each, stored and committed."""
    keys = [(quick_message_id(raw), hashlib.sha256(raw).hexdigest()) for raw in raws]
    digests = sorted({digest for _, digest in keys})
    stored = set(RawMessage.objects.filter(sha256__in=digests).values_list("message_id", "sha256"))
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
        upsert_rows(RawMessage, list(fresh.values()))
    rows = {(r.message_id, r.sha256): r for r in _stored(digests)}
    out = []
    for key in keys:
        created = key in fresh
        fresh.pop(key, None)  # a second copy in the same batch is a duplicate
        out.append((rows[key], created))
    return out


def _read_ahead(ids: list[int]) -> dict[int, Reading | Exception]:
    """Each waiting message parsed, with its content worked out (or why it can't be)."""
    out: dict[int, Reading | Exception] = {}
    # Only what reading needs, as plain values (no model rows with their mailbox each),
    # twenty raw messages in memory at a time.
    waiting = (
        RawMessage.objects.filter(pk__in=ids, state=RawState.RECEIVED)
        .values_list("pk", "size", "raw", "mailbox__language")
        .iterator(chunk_size=20)
    )
    for pk, size, data, mailbox_language in waiting:
        raw = RawMessage(pk=pk, size=size, raw=data)
        try:
            language = settings.LANGUAGE_CODE if mailbox_language is None else mailbox_language
            out[pk] = read_ahead(raw, fallback_language=language)
        except Exception as exc:
            out[pk] = exc
    return out


def _people_ahead(ahead: dict[int, Reading | Exception]) -> None:
    """Store the batch's new customers before its transaction, each insert committed at
    once. Two processes whose batches share a new sender otherwise wait for each
    other: PostgreSQL makes an insert of an address another open transaction has just
    inserted wait until that whole batch commits, and the two processes ran no faster
    than one. Noise (auto-replies, bounces, the desk's own mail) makes no customer here,
    as in the batch; the batch then finds these and decides everything else."""
    own = noise.own_addresses()
    wanted: dict[str, tuple[str, str]] = {}
    for reading in ahead.values():
        if isinstance(reading, Exception) or not reading.sender:
            continue
        if noise.classify(reading.mail) or noise.is_own(reading.sender, own):
            continue
        wanted.setdefault(reading.sender, (reading.mail.from_name, reading.language))
    if not wanted:
        return
    try:
        get_or_create_requesters(wanted, lenient=True)
    except Exception:
        # The batch creates whoever is still missing, as it always did.
        logger.warning("customers could not be stored ahead of their batch", exc_info=True)


def _stored(digests: list[str]) -> list[RawMessage]:
    return list(RawMessage.objects.filter(sha256__in=digests).defer("raw"))


def receive_and_process(
    raw: bytes, *, mailbox: Mailbox | None = None, source: str = "file"
) -> RawMessage:
    [row] = receive_and_process_many([raw], mailbox=mailbox, source=source)
    return row


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


# --- process: parse, thread, write ---------------------------------------------------


def process(raw_id: int) -> RawMessage:
    """Turn one stored message into a ticket or a reply; safe to call twice."""
    [row] = process_many([raw_id])
    return row


def process_many(raw_ids: Sequence[int], *, admitted: Collection[int] = ()) -> list[RawMessage]:
    """Process stored messages (those still waiting); safe to call twice. Returns their
    rows. `admitted`: ids already counted against their senders' rate limits."""
    ids = list(dict.fromkeys(raw_ids))
    if not ids:
        return []
    # Parsing and sanitizing happen here, before the transaction: a large or hostile
    # message costs CPU time, never time holding the database's write lock.
    batch = _Batch(admitted=set(admitted), ahead=_read_ahead(ids))
    if len(ids) > 1:
        _people_ahead(batch.ahead)
    try:
        with transaction.atomic():
            alone = batch.run(ids)
    except Exception as exc:
        if len(ids) == 1:
            _give_up(ids[0], exc)
            alone = []
        else:
            # Database trouble or a bug: nothing of the batch was written; each message
            # gets its own chance, as a batch of one.
            logger.warning(
                "batch of %s messages failed (%s): one by one",
                len(ids),
                type(exc).__name__,
                exc_info=True,
            )
            alone = ids
    if len(ids) > 1:
        for raw_id in sorted(alone):  # in arrival order: replies follow their originals
            # Counted against its sender's rate limit once, whichever run takes it.
            process_many([raw_id], admitted=batch.admitted)
    rows = {r.pk: r for r in RawMessage.objects.filter(pk__in=ids).defer("raw")}
    return [rows[i] for i in ids if i in rows]


@dataclass
class _Item:
    raw: RawMessage
    language: str  # the mailbox's, until the message says otherwise
    reading: Reading | None = None
    person: User | None = None
    requester: User | None = None
    ticket: Ticket | None = None  # the ticket it continues or opened
    first: Message | None = None  # the message it became
    via: int | None = None  # position of an earlier message of the batch it continues
    reply: bool = False
    prepared: PreparedTicket | None = None
    error: str = ""  # why it needs a review
    forged: bool = False  # DMARC failed for the sender's domain (trust.py)
    forged_from: int | None = None  # the ticket it would have threaded into, by number
    quiet: bool = False  # list, bulk or possibly forged mail: no acknowledgement
    noise: str = ""  # an auto-reply, a bounce or our own mail: kept, not answered
    alone: bool = False  # processed again as a batch of one
    done: bool = False

    @property
    def mailbox(self) -> Mailbox | None:
        return self.raw.mailbox

    @property
    def live(self) -> bool:
        return not (self.alone or self.done or self.error)


@dataclass
class _Batch:
    admitted: set[int] = field(default_factory=set)
    items: list[_Item] = field(default_factory=list)
    finished: list[RawMessage] = field(default_factory=list)
    own: set[str] = field(default_factory=set)
    # What reading each message before the transaction gave: its parse, or the error.
    ahead: dict[int, Reading | Exception] = field(default_factory=dict)

    def run(self, ids: list[int]) -> list[int]:
        """Process the messages; returns the ids to process again one by one."""
        rows = list(
            RawMessage.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("mailbox", "mailbox__team")
            .defer("raw")  # read before the transaction; loaded again only if it was not
            .filter(pk__in=ids, state=RawState.RECEIVED)
            .order_by("id")
        )
        self.own = noise.own_addresses()
        for raw in rows:
            language = raw.mailbox.language if raw.mailbox else settings.LANGUAGE_CODE
            self._read(_Item(raw, language))
        self._find_people()
        self._thread()
        self._open([i for i in self.items if i.prepared is not None])
        refused = self._add_replies()
        self._open(refused)
        self._finish()
        return [i.raw.pk for i in self.items if i.alone]

    def _fail(self, item: _Item, exc: BaseException | str) -> None:
        """The message needs a person to look at it: a needs-review ticket."""
        item.error = no_nul(exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}")[:2000]
        logger.warning("message %s flagged for review: %s", item.raw.pk, item.error[:80])
        item.prepared = _review_ticket(
            item.raw, item.error, language=item.language, reading=item.reading
        )

    def _read(self, item: _Item) -> None:
        self.items.append(item)
        raw = item.raw
        try:
            ahead = self.ahead.pop(raw.pk, None)
            if isinstance(ahead, Exception):
                raise ahead
            reading = item.reading = ahead or read(raw, fallback_language=item.language)
        except Exception as exc:
            self._fail(item, exc)
            return
        item.language = reading.language
        kind = noise.classify(reading.mail)
        found = trust.verdict(reading.mail.auth_results, trust.trusted_ids(raw.source))
        item.forged = trust.possibly_forged(reading.mail, reading.sender, found)
        item.quiet = item.forged or noise.no_auto_answer(reading.mail)
        if reading.sender and noise.is_own(reading.sender, self.own):
            kind = kind or "loop"
        if kind:
            item.noise = kind  # recorded once the batch's own tickets exist
            self._done(item)
        elif not reading.sender:
            self._fail(item, "ValueError: no sender address")
        elif raw.pk not in self.admitted and not noise.within_rate_limit(reading.sender):
            raw.state = RawState.IGNORED
            raw.error = "rate limited: too many messages from this sender"
            logger.info("rate limited %s", noise.redact(reading.sender))
            self._done(item)
        else:
            self.admitted.add(raw.pk)

    def _done(self, item: _Item) -> None:
        item.done = True
        self.finished.append(item.raw)

    def _find_people(self) -> None:
        live = [i for i in self.items if i.live and i.reading is not None]
        wanted: dict[str, tuple[str, str]] = {}
        for item in live:
            assert item.reading is not None
            wanted.setdefault(item.reading.sender, (item.reading.mail.from_name, item.language))
        people = get_or_create_requesters(wanted, lenient=True)
        for item in live:
            assert item.reading is not None
            item.person = people.get(item.reading.sender)
            if item.person is None:
                # An address we cannot accept: say why on the review ticket.
                try:
                    item.person = get_or_create_requester(
                        item.reading.sender, name=item.reading.mail.from_name, lenient=True
                    )
                except OporaError as exc:
                    self._fail(item, exc)
            if item.person is not None and item.person.blocked:
                # A blocked customer's mail is kept, opens nothing and is not answered.
                item.raw.state, item.raw.error = RawState.IGNORED, "blocked sender"
                self._done(item)

    def _thread(self) -> None:
        live = [i for i in self.items if i.live]
        found = Lookups.load(
            [(i.reading.mail, i.reading.mail.delivered_to) for i in live if i.reading]
        )
        earlier: dict[str, int] = {}
        stored = _stored_messages([i.reading.mail.message_id for i in live if i.reading])
        for position, item in enumerate(self.items):
            if not item.live or item.reading is None:
                continue
            mail = item.reading.mail
            if mail.message_id in earlier:
                item.alone = True  # the same Message-ID again: decided once the first is in
                continue
            if mail.message_id in stored and not item.forged:
                if self._duplicate(item, stored[mail.message_id]):
                    continue
                ticket, via = item.ticket, None
            else:
                ticket, _how, via = thread(
                    mail,
                    sender=item.person,
                    recipients=mail.delivered_to,
                    found=found,
                    earlier=earlier,
                )
            if item.forged and (ticket is not None or via is not None):
                # Never into the ticket of the person it claims to be: one of its own.
                item.forged_from = ticket.number if ticket is not None else None
                ticket, via = None, None
            if via is not None and not self.items[via].live:
                # It follows a message of this batch that did not make it into a
                # ticket here: it goes one by one, after that one.
                item.alone = True
                continue
            item.via, item.ticket = via, ticket
            item.reply = via is not None or (
                ticket is not None and ticket.status != TicketStatus.CLOSED
            )
            if not item.reply:
                try:
                    item.prepared = self._prepare(item, continued=ticket is not None)
                except OporaError as exc:
                    self._fail(item, exc)
                    continue
            if mail.message_id:
                earlier[mail.message_id] = position

    def _duplicate(self, item: _Item, first: tuple[Ticket, str]) -> bool:
        """The same Message-ID as a message already on a ticket, with other bytes (sent
        again, uploaded again): it joins that ticket. True when it adds nothing (the
        same text): kept with the ticket, not added again; else it becomes a reply."""
        assert item.reading is not None
        ticket, body = first
        item.ticket = _final(ticket)
        shown_now = {content(item.raw, item.reading, reply=r)[0].strip() for r in (False, True)}
        if body.strip() in shown_now:
            item.raw.state, item.raw.error = RawState.IGNORED, "duplicate Message-ID"
            item.raw.ticket = item.ticket
            self._done(item)
            return True
        return False

    def _prepare(self, item: _Item, *, continued: bool) -> PreparedTicket:
        """A new ticket for the message (a follow-up when the ticket it answers is closed)."""
        reading, person = item.reading, item.person
        assert reading is not None and person is not None
        requester = person
        if person.is_agent and not continued and FORWARD_SUBJECT.match(reading.mail.subject):
            # An agent forwarded a customer's mail: the ticket is the customer's.
            original = forwarded_sender(reading.mail)
            if original and not noise.is_own(original[1], self.own):
                requester = get_or_create_requester(
                    original[1], name=original[0], language=item.language
                )
        item.requester = requester
        text, html, files = content(item.raw, reading, reply=continued)
        if item.forged:
            text, html = f"{_forged_note(item)}\n\n{text}", ""
        prepared = ticket_actions.prepare_ticket(
            requester=requester,
            subject=subject_of(reading),
            body=text,
            by=person,
            channel=Channel.EMAIL,
            language=item.language,
            body_html=html,
            external_id=reading.mail.message_id,
            attachments=files,
        )
        prepared.route_to = item.mailbox.team if item.mailbox else None
        if reading.too_large:
            prepared.channel_tags = [TOO_LARGE]
        if item.forged:
            prepared.channel_tags = [*prepared.channel_tags, trust.FORGED_TAG]
        return prepared

    def _open(self, items: list[_Item]) -> None:
        items = [i for i in items if i.prepared is not None]
        opened = ticket_actions.create_tickets([i.prepared for i in items if i.prepared])
        for item, (ticket, first) in zip(items, opened, strict=True):
            item.ticket, item.first, item.reply = ticket, first, False

    def _add_replies(self) -> list[_Item]:
        """Add the replies; returns those that must open a ticket instead."""
        items: list[_Item] = []
        for item in self.items:
            if not item.live or not item.reply:
                continue
            if item.via is not None:
                parent = self.items[item.via]
                if parent.ticket is None:
                    item.alone = True
                    continue
                item.ticket = parent.ticket
            items.append(item)
        replies = []
        for item in items:
            assert item.reading is not None and item.person is not None and item.ticket
            text, html, files = content(item.raw, item.reading, reply=True)
            replies.append(
                NewMessage(
                    ticket_id=item.ticket.pk,
                    by=item.person,
                    body=text,
                    body_html=html,
                    channel=Channel.EMAIL,
                    external_id=item.reading.mail.message_id,
                    attachments=files,
                )
            )
        refused = []
        added = ticket_actions.add_messages(replies, refused="skip")
        for item, message in zip(items, added, strict=True):
            if message is not None:
                item.first = message
                continue
            if len(self.items) > 1:
                item.alone = True  # decided precisely as a batch of one
                continue
            # A batch of one: the ticket closed meanwhile (a follow-up opens), or it
            # refused this message (a person looks at it).
            assert item.ticket is not None
            current = Ticket.objects.filter(pk=item.ticket.pk).values_list("status", flat=True)
            try:
                if current.first() in (None, TicketStatus.CLOSED):
                    item.prepared = self._prepare(item, continued=True)
                else:
                    self._fail(item, "the ticket refused this message")
            except OporaError as exc:
                self._fail(item, exc)
            refused.append(item)
        return refused

    def _finish(self) -> None:
        acknowledge: dict[int, tuple[Mailbox, list[Ticket]]] = {}
        for item in self.items:
            if item.noise and item.reading is not None:
                _record_noise(item.raw, item.reading.mail, item.noise, item.reading.sender)
            if item.done or item.alone or item.ticket is None:
                continue
            raw = item.raw
            raw.ticket, raw.ticket_message = item.ticket, item.first
            if item.error:
                raw.state, raw.error = RawState.FAILED, item.error
                self.finished.append(raw)
                continue
            raw.state = RawState.PARSED
            self.finished.append(raw)
            assert item.reading is not None and item.person is not None
            raw.trimmed = item.reading.trimmed
            exclude = {item.reading.sender}
            if not item.reply:
                exclude.add(item.ticket.requester.email)
                if item.mailbox is not None and not item.quiet:
                    acknowledge.setdefault(item.mailbox.pk, (item.mailbox, []))[1].append(
                        item.ticket
                    )
            self._add_cc_followers(item, exclude)
        for mailbox, tickets in acknowledge.values():
            # A complaint is acknowledged by the complaint care, with its deadline.
            elsewhere = acknowledged_elsewhere(tickets)
            outbound.schedule_acknowledgements(
                [t for t in tickets if t.pk not in elsewhere], mailbox
            )
        now = timezone.now()
        for raw in self.finished:
            raw.processed_at = now
        update_rows(
            RawMessage,
            self.finished,
            ("state", "error", "ticket", "ticket_message", "trimmed", "processed_at"),
        )

    def _add_cc_followers(self, item: _Item, exclude: set[str]) -> None:
        assert item.reading is not None and item.ticket is not None
        mail = item.reading.mail
        wanted = [
            a
            for a in dict.fromkeys([*mail.to, *mail.cc])
            if a not in exclude and not noise.is_own(a, self.own)
        ][:20]
        if not wanted:
            return
        people = []
        for address in wanted:
            try:
                people.append(get_or_create_requester(address, language=item.ticket.language))
            except OporaError:
                continue  # an address we cannot accept is simply not a follower
        if people:
            ticket_actions.add_followers(item.ticket, people, by=item.person)


def _record_noise(raw: RawMessage, mail: ParsedMail, kind: str, sender: str) -> None:
    """Auto-replies and bounces are kept, not answered; the ticket they concern notes them."""
    raw.state = RawState.IGNORED
    raw.error = kind
    if kind == "loop":
        return
    if kind == "bounce":
        failed = noise.failed_recipients(mail)
        if failed:
            mark_undeliverable(failed, reason=f"bounce (raw message {raw.pk})")
    mail.references += report_references(mail)
    ticket, _ = find_ticket(mail, sender=None, recipients=mail.delivered_to)
    if ticket is not None:
        raw.ticket = ticket
        ticket_events.mail_ignored_event(
            ticket=ticket, kind=kind, raw_message=raw.pk, sender=noise.redact(sender)
        )


def _stored_messages(message_ids: list[str]) -> dict[str, tuple[Ticket, str]]:
    """Message-ID → (ticket, text) of e-mail messages already on tickets (the first)."""
    wanted = sorted({m for m in message_ids if m})
    if not wanted:
        return {}
    first: dict[str, tuple[int, str]] = {}
    rows = (
        Message.objects.filter(external_id__in=wanted, channel=Channel.EMAIL)
        .order_by("id")
        .values_list("external_id", "ticket_id", "body")
    )
    for message_id, ticket_id, body in rows:
        first.setdefault(message_id, (ticket_id, body))
    if not first:
        return {}  # the usual case: no message of the batch was seen before
    tickets = Ticket.objects.in_bulk({ticket_id for ticket_id, _ in first.values()})
    return {m: (tickets[ticket_id], body) for m, (ticket_id, body) in first.items()}


def _final(ticket: Ticket) -> Ticket:
    hops = 0
    while ticket.merged_into_id is not None and hops < 10:
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
        hops += 1
    return ticket


def _forged_note(item: _Item) -> str:
    """The line on a possibly forged message's ticket, in the ticket's language."""
    assert item.reading is not None
    with translation.override(item.language):
        note = _(
            "Possibly forged: the domain of %(address)s failed the DMARC check, so this "
            "message may not be from them. Check before answering."
        ) % {"address": item.reading.sender}
        if item.forged_from is not None:
            note += " " + _("It was not added to ticket #%(number)s.") % {
                "number": item.forged_from
            }
    return f"[{note}]"


def _review_ticket(
    raw: RawMessage, error: str, *, language: str, reading: Reading | None = None
) -> PreparedTicket:
    """A ticket for a person to look at a message that could not be taken as it is,
    with whatever text could be read from it (an agent can still read and answer)."""
    data = bytes(raw.raw)
    subject, name, address = best_effort_headers(data)
    if reading is not None:
        subject = subject_of(reading) if reading.mail.subject else subject
        name = name or reading.mail.from_name
    requester = None
    if address:
        try:
            requester = get_or_create_requester(address, name=name, language=language)
        except OporaError:
            requester = None
    if requester is None:
        requester = get_or_create_requester(
            UNKNOWN_SENDER, name="Unknown sender", language=language
        )
    files = []
    note = "The original message is attached."
    if len(data) <= settings.MAX_ATTACHMENT_MB * 1024 * 1024:
        files = [
            IncomingFile(
                name=f"original-{raw.pk}.eml",
                content=io.BytesIO(data),
                size=len(data),
                content_type="message/rfc822",
            )
        ]
    else:
        note = f"The original message is kept as raw message {raw.pk} (too large to attach)."
    body = (
        "This message could not be read automatically and needs a review.\n"
        f"{note}\n\nReason: {error.splitlines()[0][:300] if error else 'unknown'}"
    )
    text = _readable_text(data, reading)
    room = cleaning.MAX_BODY_CHARS - len(body) - 100
    if text and room > 0:
        cut = "\n\n[…]" if len(text) > room else ""
        body = f"{body}\n\n---\n\n{text[:room]}{cut}"
    prepared = ticket_actions.prepare_ticket(
        requester=requester,
        subject=subject or "(unreadable message)",
        body=body,
        by=requester,
        channel=Channel.EMAIL,
        language=language,
        external_id=raw.message_id,
        attachments=files,
    )
    prepared.route_to = raw.mailbox.team if raw.mailbox else None
    prepared.channel_tags = [NEEDS_REVIEW]
    return prepared


def _readable_text(data: bytes, reading: Reading | None) -> str:
    """The text of a message that could not be taken as it is, if any can be read."""
    try:
        if reading is None:
            from opora.inbox.email.parse import parse_message

            mail = parse_message(data[: settings.EMAIL_MAX_MESSAGE_MB * 1024 * 1024])
            return no_nul(mail.text.strip())[:100_000]
        return shown(reading, reply=False)[0][:100_000]
    except Exception:  # nothing readable: the original is attached
        return ""


def _give_up(raw_id: int, exc: Exception) -> None:
    """A batch of one failed: a review ticket in a transaction of its own, or, when
    even that fails (database trouble), the raw message stays stored, marked failed;
    processing it again is safe."""
    error = no_nul(f"{type(exc).__name__}: {exc}")[:2000]
    logger.warning("message %s flagged for review: %s", raw_id, type(exc).__name__)
    try:
        with transaction.atomic():
            raw = (
                RawMessage.objects.select_for_update(of=("self",))
                .select_related("mailbox", "mailbox__team")
                .filter(pk=raw_id, state=RawState.RECEIVED)
                .first()
            )
            if raw is None:
                return
            language = raw.mailbox.language if raw.mailbox else settings.LANGUAGE_CODE
            [(ticket, first)] = ticket_actions.create_tickets(
                [_review_ticket(raw, error, language=language)]
            )
            raw.ticket, raw.ticket_message = ticket, first
            raw.state, raw.error, raw.processed_at = RawState.FAILED, error, timezone.now()
            raw.save(update_fields=["state", "error", "ticket", "ticket_message", "processed_at"])
    except Exception as again:
        logger.exception("message %s could not be processed", raw_id)
        RawMessage.objects.filter(pk=raw_id, state=RawState.RECEIVED).update(
            state=RawState.FAILED, error=no_nul(f"{type(again).__name__}: {again}"[:2000])
        )
