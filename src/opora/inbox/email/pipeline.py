"""The one way mail comes in: receive → store raw → process (parse, thread, ticket).

IMAP polling, the SMTP/LMTP receiver and file imports all call `receive` (which
commits the raw bytes, deduplicated) and then `process` (directly or in a task).
`process` never loses a message: whatever goes wrong while reading it, the message
still becomes a ticket tagged "needs-review" with the original attached.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from opora.accounts.actions import get_or_create_requester
from opora.accounts.models import User
from opora.core.errors import OporaError
from opora.inbox.email import noise, outbound
from opora.inbox.email.models import Mailbox, RawMessage, RawState
from opora.inbox.email.parse import (
    ParsedAttachment,
    ParsedMail,
    addresses,
    html_to_text,
    parse_message,
)
from opora.inbox.email.quotes import strip_html_quotes, strip_quotes
from opora.inbox.email.threading import find_ticket
from opora.tickets import actions as ticket_actions
from opora.tickets import errors as ticket_errors
from opora.tickets import events as ticket_events
from opora.tickets.attachments import IncomingFile, check_attachments
from opora.tickets.models import Channel, Message, Ticket, TicketStatus

logger = logging.getLogger("opora.inbox.email")

NEEDS_REVIEW = "needs-review"
UNKNOWN_SENDER = "unknown-sender@opora.invalid"
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_QUICK_MSGID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_ANGLE = re.compile(rb"<([\x21-\x3b\x3d\x3f-\x7e]{1,250})>")
_FWD_SUBJECT = re.compile(r"^\s*(fwd?|пересл|переслано|tr)\s*:", re.IGNORECASE)
_FWD_FROM = re.compile(r"^\s*[>*\s]*(from|от)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_REPORT_MSGID = re.compile(r"^message-id:\s*<([^<>\s]{1,250})>", re.IGNORECASE | re.MULTILINE)


def quick_message_id(raw: bytes) -> str:
    """The Message-ID from the header block, found without parsing the whole message."""
    end = _HEADER_END.search(raw, 0, 256 * 1024)
    head = raw[: end.start()] if end else raw[: 256 * 1024]
    match = _QUICK_MSGID.search(head)
    if not match:
        return ""
    value = match.group(1)
    angle = _ANGLE.search(value)
    found = angle.group(1) if angle else value.strip()
    # Only printable ASCII: it is an identifier and a database key.
    return bytes(b for b in found if 0x21 <= b <= 0x7E).decode("ascii")[:250]


def receive(
    raw: bytes, *, mailbox: Mailbox | None = None, source: str = "file"
) -> tuple[RawMessage, bool]:
    """Store the raw bytes (committed on return); (row, False) when already received."""
    digest = hashlib.sha256(raw).hexdigest()
    message_id = quick_message_id(raw)
    try:
        # Insert first: new mail is the common case, the unique constraint the check.
        with transaction.atomic():
            row = RawMessage.objects.create(
                mailbox=mailbox,
                message_id=message_id,
                sha256=digest,
                size=len(raw),
                raw=raw,
                source=source[:16],
            )
    except IntegrityError:  # already stored (a re-fetch, a retry, a re-import)
        return RawMessage.objects.get(message_id=message_id, sha256=digest), False
    return row, True


@dataclass
class _Context:
    raw: RawMessage
    mailbox: Mailbox | None
    own: set[str]
    admitted: bool = False  # already counted against the sender's rate limit


def process(raw_id: int, *, admitted: bool = False) -> RawMessage:
    """Turn one stored message into a ticket or a reply; safe to call twice.

    `admitted`: a batch already counted it against its sender's rate limit."""
    try:
        with transaction.atomic():
            raw = (
                RawMessage.objects.select_for_update(of=("self",))
                .select_related("mailbox", "mailbox__team")
                .get(pk=raw_id)
            )
            if raw.state != RawState.RECEIVED:
                return raw
            ctx = _Context(
                raw=raw, mailbox=raw.mailbox, own=noise.own_addresses(), admitted=admitted
            )
            try:
                with transaction.atomic():
                    _process(ctx)
            except Exception as exc:
                logger.warning("message %s flagged for review: %s", raw.pk, type(exc).__name__)
                with transaction.atomic():
                    _flag_for_review(ctx, _no_nul(f"{type(exc).__name__}: {exc}"[:2000]))
            raw.processed_at = timezone.now()
            raw.save(update_fields=["state", "error", "ticket", "ticket_message", "processed_at"])
            return raw
    except Exception as exc:
        # Even the fallback failed (database trouble): the raw message stays stored and
        # visible as failed; re-running `process` on it is safe.
        logger.exception("message %s could not be processed", raw_id)
        RawMessage.objects.filter(pk=raw_id, state=RawState.RECEIVED).update(
            state=RawState.FAILED, error=_no_nul(f"{type(exc).__name__}: {exc}"[:2000])
        )
        return RawMessage.objects.get(pk=raw_id)


def _requester(address: str, name: str, language: str) -> User:
    return get_or_create_requester(address, name=name, language=language)


def _language(mail: ParsedMail, fallback: str) -> str:
    sample = (mail.subject + " " + mail.text[:2000]).lower()
    cyrillic = sum(1 for ch in sample if "а" <= ch <= "я" or ch == "ё")
    latin = sum(1 for ch in sample if "a" <= ch <= "z")
    if cyrillic > 20 and cyrillic > latin / 2:
        return "ru"
    if latin > 20 and cyrillic == 0:
        return "en"
    return fallback


def _incoming_files(parts: list[ParsedAttachment]) -> tuple[list[IncomingFile], list[str]]:
    """Attachments that may be stored, and a note line for each refused one."""
    files: list[IncomingFile] = []
    notes: list[str] = []
    for part in parts:
        incoming = IncomingFile(
            name=part.filename,
            content=io.BytesIO(part.content),
            size=len(part.content),
            content_type=part.content_type,
            content_id=part.content_id,
        )
        try:
            check_attachments([incoming])
        except OporaError as exc:
            notes.append(f"[{exc}]")
            continue
        files.append(incoming)
    return files, notes


_REPORT_PARTS = ("message/rfc822", "text/rfc822-headers", "message/delivery-status")


def _report_references(mail: ParsedMail) -> list[str]:
    # Bounces carry the original headers in an attached part, not in In-Reply-To.
    found: list[str] = _REPORT_MSGID.findall(mail.text[:65536])
    for part in mail.attachments:
        if part.content_type in (
            "message/rfc822",
            "text/rfc822-headers",
            "message/delivery-status",
        ):
            found += _REPORT_MSGID.findall(part.content[:65536].decode("utf-8", "replace"))
    return found


def _visible_reply(text: str, html: str) -> tuple[str, str]:
    """The new part of a reply, as text and HTML; the full original stays in the raw."""
    text_cut = strip_quotes(text)
    html_cut = strip_html_quotes(html) if html else ""
    if html and html_cut != html:
        if text_cut == text:
            # Only the HTML shows where the history starts (clients that quote
            # without attribution lines in their plain part, HTML-only mail).
            text_cut = strip_quotes(html_to_text(html_cut)) or text_cut
        return text_cut, html_cut
    if text_cut != text:
        return text_cut, ""  # HTML is rebuilt from the shortened text
    return text, html


def _no_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL characters; mail sometimes carries them.
    return text.replace("\x00", "") if "\x00" in text else text


@dataclass
class _Reading:
    """A parsed message and what every step after parsing needs from it."""

    mail: ParsedMail
    sender: str
    too_large: bool
    language: str


def _read(ctx: _Context) -> _Reading:
    raw = ctx.raw
    data = bytes(raw.raw)
    too_large = raw.size > settings.EMAIL_MAX_MESSAGE_MB * 1024 * 1024
    mail = parse_message(data, headers_only=too_large)
    mail.subject = _no_nul(mail.subject)
    mail.text = _no_nul(mail.text)
    mail.html = _no_nul(mail.html)
    mail.from_name = _no_nul(mail.from_name)
    sender = mail.from_address or mail.reply_to or mail.sender or mail.return_path
    fallback_language = ctx.mailbox.language if ctx.mailbox else settings.LANGUAGE_CODE
    return _Reading(mail, sender, too_large, _language(mail, fallback_language))


def _noise_kind(ctx: _Context, reading: _Reading) -> str:
    """ "auto_reply", "bounce", "loop" (our own mail), or "" for a person's mail."""
    kind = noise.classify(reading.mail)
    if reading.sender and noise.is_own(reading.sender, ctx.own):
        kind = kind or "loop"
    return kind


def _admit(ctx: _Context, reading: _Reading) -> bool:
    """May this person's mail open or continue a ticket? False: ignored (flood)."""
    if not reading.sender:
        raise ValueError("no sender address")
    if ctx.admitted:
        return True
    if not noise.within_rate_limit(reading.sender):
        ctx.raw.state = RawState.IGNORED
        ctx.raw.error = "rate limited: too many messages from this sender"
        logger.info("rate limited %s", noise.redact(reading.sender))
        return False
    ctx.admitted = True
    return True


def _content(
    ctx: _Context, reading: _Reading, *, reply: bool
) -> tuple[str, str, list[IncomingFile]]:
    """(text, HTML, files) of the message as the ticket shows it."""
    mail, raw = reading.mail, ctx.raw
    text = mail.text.strip()
    html = mail.html
    if reply:
        text, html = _visible_reply(text, html)
    files, notes = _incoming_files(mail.attachments)
    if reading.too_large:
        notes.append(
            f"[The message is {raw.size // (1024 * 1024)} MB, over the "
            f"{settings.EMAIL_MAX_MESSAGE_MB} MB limit: only its headers were read. "
            f"The full original is kept as raw message {raw.pk}.]"
        )
    if notes:
        text = "\n\n".join([text, *notes]).strip()
        html = ""
    if not text:
        text = "(no text)" if not files else "(attachments only)"
    return text, html, files


def _continue(
    ctx: _Context,
    reading: _Reading,
    ticket: Ticket,
    person: User,
    content: tuple[str, str, list[IncomingFile]],
) -> bool:
    """Add the message to the ticket it answers; False when that ticket is closed."""
    text, html, files = content
    try:
        message = ticket_actions.add_message(
            ticket,
            by=person,
            body=text,
            body_html=html,
            channel=Channel.EMAIL,
            external_id=reading.mail.message_id,
            attachments=files,
        )
    except OporaError as exc:
        if exc.code != ticket_errors.TICKET_CLOSED:
            raise
        return False
    _replied(ctx, reading, ticket, message, by=person)
    return True


def _replied(
    ctx: _Context, reading: _Reading, ticket: Ticket, message: Message, *, by: User
) -> None:
    """Record the reply a message became on its raw row; its Cc become followers."""
    ctx.raw.ticket, ctx.raw.ticket_message, ctx.raw.state = ticket, message, RawState.PARSED
    _add_cc_followers(ticket, reading.mail, ctx, exclude={reading.sender}, by=by)


def _new_ticket(
    reading: _Reading,
    *,
    requester: User,
    person: User,
    content: tuple[str, str, list[IncomingFile]],
) -> dict[str, Any]:
    """The arguments of `create_ticket` (or `prepare_ticket`) for a message's ticket."""
    text, html, files = content
    subject = reading.mail.subject.strip() or "(no subject)"
    return {
        "requester": requester,
        "subject": " ".join(subject.split())[:255],
        "body": text,
        "by": person,
        "channel": Channel.EMAIL,
        "language": reading.language,
        "body_html": html,
        "external_id": reading.mail.message_id,
        "attachments": files,
    }


def _opened(
    ctx: _Context, reading: _Reading, ticket: Ticket, first: Message | None, *, by: User
) -> None:
    """Record the ticket a message opened on its raw row; its Cc become followers."""
    ctx.raw.ticket, ctx.raw.ticket_message, ctx.raw.state = ticket, first, RawState.PARSED
    exclude = {reading.sender, ticket.requester.email}
    _add_cc_followers(ticket, reading.mail, ctx, exclude=exclude, by=by)


def _process(ctx: _Context) -> None:
    reading = _read(ctx)
    mail, sender = reading.mail, reading.sender
    kind = _noise_kind(ctx, reading)
    if kind:
        _record_noise(ctx, mail, kind, sender)
        return
    if not _admit(ctx, reading):
        return
    person = _requester(sender, mail.from_name, reading.language)
    ticket, _how = find_ticket(mail, sender=person, recipients=mail.delivered_to)
    content = _content(ctx, reading, reply=ticket is not None)
    open_ticket = ticket is not None and ticket.status != TicketStatus.CLOSED
    if open_ticket and ticket is not None and _continue(ctx, reading, ticket, person, content):
        return

    requester = person
    if person.is_agent and ticket is None and _FWD_SUBJECT.match(mail.subject):
        # An agent forwarded a customer's mail: the ticket is the customer's.
        original = _forwarded_sender(mail)
        if original and not noise.is_own(original[1], ctx.own):
            requester = _requester(original[1], original[0], reading.language)
    new_ticket = ticket_actions.create_ticket(
        **_new_ticket(reading, requester=requester, person=person, content=content)
    )
    team = ctx.mailbox.team if ctx.mailbox else None
    tags = ["too-large"] if reading.too_large else []
    if team is not None or tags:
        new_ticket = ticket_actions.route_new_ticket(new_ticket, team=team, tags=tags)
    first = Message.objects.filter(ticket=new_ticket).order_by("id").first()
    _opened(ctx, reading, new_ticket, first, by=person)
    if ctx.mailbox is not None:
        outbound.schedule_acknowledgement(new_ticket, ctx.mailbox)


def _forwarded_sender(mail: ParsedMail) -> tuple[str, str] | None:
    for inner in mail.forwarded:
        found = addresses([str(inner.get("From", ""))])
        if found:
            return found[0]
    for match in _FWD_FROM.finditer(mail.text):
        found = addresses([match.group(2)])
        if found:
            return found[0]
    return None


def _add_cc_followers(
    ticket: Ticket, mail: ParsedMail, ctx: _Context, *, exclude: set[str], by: User
) -> None:
    wanted = [
        a
        for a in dict.fromkeys([*mail.to, *mail.cc])
        if a not in exclude and not noise.is_own(a, ctx.own)
    ][:20]
    if not wanted:
        return
    people = []
    for address in wanted:
        try:
            people.append(_requester(address, "", ticket.language))
        except OporaError:
            continue  # an address we cannot accept is simply not a follower
    if people:
        ticket_actions.add_followers(ticket, people, by=by)


def _record_noise(ctx: _Context, mail: ParsedMail, kind: str, sender: str) -> None:
    raw = ctx.raw
    raw.state = RawState.IGNORED
    raw.error = kind
    if kind == "loop":
        return
    mail.references += _report_references(mail)
    ticket, _ = find_ticket(mail, sender=None, recipients=mail.delivered_to)
    if ticket is not None:
        raw.ticket = ticket
        ticket_events.mail_ignored_event(
            ticket=ticket, kind=kind, raw_message=raw.pk, sender=noise.redact(sender)
        )


def _best_effort_headers(data: bytes) -> tuple[str, str, str]:
    """(subject, name, address) read with regular expressions from a broken message."""
    head = data[:65536].decode("utf-8", "replace")
    subject = ""
    match = re.search(r"^subject:[ \t]*(.*)$", head, re.IGNORECASE | re.MULTILINE)
    if match:
        subject = " ".join(match.group(1).split())[:200]
    match = re.search(r"^from:[ \t]*(.*)$", head, re.IGNORECASE | re.MULTILINE)
    name, address = "", ""
    if match:
        found = addresses([match.group(1)])
        if found:
            name, address = found[0]
    return subject, name, address


def _flag_for_review(ctx: _Context, error: str) -> None:
    """The message could not be read: open a ticket for a person to look at it."""
    raw = ctx.raw
    data = bytes(raw.raw)
    subject, name, address = (_no_nul(v) for v in _best_effort_headers(data))
    language = ctx.mailbox.language if ctx.mailbox else settings.LANGUAGE_CODE
    try:
        requester = _requester(address, name, language) if address else None
    except OporaError:
        requester = None
    if requester is None:
        requester = _requester(UNKNOWN_SENDER, "Unknown sender", language)
    limit = settings.MAX_ATTACHMENT_MB * 1024 * 1024
    files = []
    note = "The original message is attached."
    if len(data) <= limit:
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
    ticket = ticket_actions.create_ticket(
        requester=requester,
        subject=subject or "(unreadable message)",
        body=body,
        by=requester,
        channel=Channel.EMAIL,
        language=language,
        external_id=raw.message_id,
        attachments=files,
    )
    team = ctx.mailbox.team if ctx.mailbox else None
    ticket = ticket_actions.route_new_ticket(ticket, team=team, tags=[NEEDS_REVIEW])
    raw.ticket = ticket
    raw.ticket_message = Message.objects.filter(ticket=ticket).order_by("id").first()
    raw.state = RawState.FAILED
    raw.error = _no_nul(error)


def receive_and_process(
    raw: bytes, *, mailbox: Mailbox | None = None, source: str = "file"
) -> RawMessage:
    row, _ = receive(raw, mailbox=mailbox, source=source)
    return process(row.pk) if row.state == RawState.RECEIVED else row
