"""Reading one stored message: what every step of the intake needs from it.

Pure functions of the raw bytes and the parsed mail (no writes): the parsed message
and its sender, language and visible content, the original sender of a forward, the
references a bounce carries, and best-effort headers of a message that cannot be read.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings

from opora.core.errors import OporaError
from opora.core.html import presanitized
from opora.core.text import guess_language
from opora.inbox.email.models import RawMessage
from opora.inbox.email.parse import (
    ParsedAttachment,
    ParsedMail,
    addresses,
    parse_message,
    recover_sender,
)
from opora.inbox.email.quotes import visible_reply
from opora.inbox.email.threading import may_continue
from opora.tickets.attachments import IncomingFile, check_attachments

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_QUICK_MSGID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_ANGLE = re.compile(rb"<([\x21-\x3b\x3d\x3f-\x7e]{1,250})>")
FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|пересл|переслано|tr)\s*:", re.IGNORECASE)
_FWD_FROM = re.compile(r"^\s*[>*\s]*(from|от)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_REPORT_MSGID = re.compile(r"^message-id:\s*<([^<>\s]{1,250})>", re.IGNORECASE | re.MULTILINE)
_REPORT_PARTS = ("message/rfc822", "text/rfc822-headers", "message/delivery-status")

logger = logging.getLogger(__name__)


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


def no_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL characters; mail sometimes carries them.
    return text.replace("\x00", "") if "\x00" in text else text


@dataclass
class Reading:
    """A parsed message and what every step after parsing needs from it."""

    mail: ParsedMail
    sender: str
    too_large: bool
    language: str
    # (text, sanitized HTML) as a new ticket (False) and as a reply (True), once worked out.
    shown: dict[bool, tuple[str, str]] = field(default_factory=dict)
    # Whether that content leaves something out, and whether the content the ticket
    # took (`content`) did: the page then offers the rest from the raw message.
    cut: dict[bool, bool] = field(default_factory=dict)
    trimmed: bool = False


def read(raw: RawMessage, *, fallback_language: str) -> Reading:
    """Parse a stored message (only its headers when it is over the size limit)."""
    too_large = raw.size > settings.EMAIL_MAX_MESSAGE_MB * 1024 * 1024
    mail = parse_message(bytes(raw.raw), headers_only=too_large)
    mail.subject = no_nul(mail.subject)
    mail.text = no_nul(mail.text)
    mail.html = no_nul(mail.html)
    sender, name, mail.sender_rule = recover_sender(mail)
    mail.from_name = no_nul(name)
    return Reading(mail, sender, too_large, _language(mail, fallback_language))


def read_ahead(raw: RawMessage, *, fallback_language: str) -> Reading:
    """`read`, plus everything costly the writing step will ask of the message: its
    visible content as a new ticket and, when it may continue a ticket, as a reply,
    with the HTML sanitized.

    Called before the intake's transaction starts, so that parsing and cleaning a large
    or hostile message never holds the database's write lock. A message with nothing
    to thread by (no reply token, Message-ID reference or subject tag) never becomes a
    reply: the cutter is not run on it (most new tickets)."""
    reading = read(raw, fallback_language=fallback_language)
    try:
        shown(reading, reply=False)
        if may_continue(reading.mail):
            shown(reading, reply=True)
    except Exception:
        # The writing step tries again and deals with the failure as it always has.
        logger.warning("message %s: reading its content ahead failed", raw.pk, exc_info=True)
    return reading


def shown(reading: Reading, *, reply: bool) -> tuple[str, str]:
    """(text, sanitized HTML) the ticket shows of the message, its quoted history cut
    when it is a reply."""
    known = reading.shown.get(reply)
    if known is None:
        text, html = reading.mail.text.strip(), reading.mail.html
        if reply:
            trimmed = visible_reply(text, html)
            text, html = trimmed.text, trimmed.html
            reading.cut[reply] = trimmed.cut
        known = reading.shown[reply] = (text, presanitized(html) if html else "")
    return known


def _language(mail: ParsedMail, fallback: str) -> str:
    return guess_language(mail.subject + " " + mail.text[:2000], fallback, minimum=21)


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


Content = tuple[str, str, list[IncomingFile]]


def content(raw: RawMessage, reading: Reading, *, reply: bool) -> Content:
    """(text, HTML, files) of the message as the ticket shows it."""
    text, html = shown(reading, reply=reply)
    reading.trimmed = reading.cut.get(reply, False)
    files, notes = _incoming_files(reading.mail.attachments)
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


def subject_of(reading: Reading) -> str:
    subject = reading.mail.subject.strip() or "(no subject)"
    return " ".join(subject.split())[:255]


def forwarded_sender(mail: ParsedMail) -> tuple[str, str] | None:
    """(name, address) of the person whose mail this forward carries, if it shows."""
    for inner in mail.forwarded:
        found = addresses([str(inner.get("From", ""))])
        if found:
            return found[0]
    for match in _FWD_FROM.finditer(mail.text):
        found = addresses([match.group(2)])
        if found:
            return found[0]
    return None


def report_references(mail: ParsedMail) -> list[str]:
    """Message-IDs a bounce or report quotes (in an attached part, not In-Reply-To)."""
    found: list[str] = _REPORT_MSGID.findall(mail.text[:65536])
    for part in mail.attachments:
        if part.content_type in _REPORT_PARTS:
            found += _REPORT_MSGID.findall(part.content[:65536].decode("utf-8", "replace"))
    return found


def best_effort_headers(data: bytes) -> tuple[str, str, str]:
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
    return no_nul(subject), no_nul(name), no_nul(address)
