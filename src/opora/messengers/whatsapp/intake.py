"""A WhatsApp webhook's body into the desk, in two steps.

The Cloud API posts `{"object": "whatsapp_business_account", "entry": [{"changes":
[{"field": "messages", "value": {...}}]}]}`; one `value` may hold several
`messages` (the people's) and `statuses` (what became of the desk's).

The webhook only keeps them (`keep`): each message and each status is stored as it
came, one row each (`WhatsAppInbound`: a message id of a number is kept once, and so is
each status of a message, so a body Meta sends again changes nothing), in one
statement, and the drain is queued (`drain.py`, lanes by the person: who wrote, or to
whom the desk wrote). The drain (`take_many`) takes them in, in the order they came:

- A message (text; an image, a document, an audio or voice note, a video, each fetched
  by its media id within the attachment limit; a template's quick-reply button) goes
  to the person's open WhatsApp ticket or opens one (`conversations.store_many`), and
  remembers when the person wrote: the 24-hour window starts again.
- A status moves the delivery shown on the ticket: delivered → "Received", read →
  "Read", failed → "Not delivered" with WhatsApp's error title (131047 closes the
  window, 131026 marks the person unreachable).
- Anything else (reactions, stickers, locations, other fields) is logged and ignored.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.identities import Contact
from opora.accounts.models import IdentityKind
from opora.core.bulk import insert_new
from opora.core.errors import OporaError
from opora.inbox.delivery import report_receipt
from opora.inbox.models import DeliveryState
from opora.messengers import drain
from opora.messengers.conversations import Arrived, answer_first_many, mark_unreachable
from opora.messengers.models import Conversation, WhatsAppInbound, WhatsAppNumber, WhatsAppSent
from opora.messengers.tasks import drain_whatsapp_task
from opora.messengers.whatsapp import actions, client, window
from opora.tickets.attachments import IncomingFile, check_attachments, clean_filename
from opora.tickets.models import Channel

logger = logging.getLogger("opora.messengers.whatsapp")

DRAIN = "whatsapp"  # the drain's name (`drain.py`)
# What became of a message or a status: the webhook's QUEUED, DUPLICATE, IGNORED; the
# drain's MESSAGE, STATUS, IGNORED (or drain.FAILED).
QUEUED = "queued"
MESSAGE = "message"
STATUS = "status"
IGNORED = "ignored"
DUPLICATE = "duplicate"
STATUS_KIND = "status:"  # a status row's kind: "status:delivered"

MEDIA_KINDS = ("image", "document", "audio", "video")
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
}
STATES = {"delivered": DeliveryState.RECEIVED.value, "read": DeliveryState.READ.value}


class BadPayload(Exception):
    """The body is not a WhatsApp webhook."""


@dataclass(frozen=True)
class MediaRef:
    media_id: str
    name: str
    content_type: str


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any, limit: int = 4096) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def changes(data: Any) -> list[dict[str, Any]]:
    """The changes of a webhook body; `BadPayload` for one that is not WhatsApp's."""
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise BadPayload("not a whatsapp_business_account notification")
    found: list[dict[str, Any]] = []
    for entry in _list(data.get("entry")):
        found.extend(c for c in _list(_dict(entry).get("changes")) if isinstance(c, dict))
    return found


def keep(number: WhatsAppNumber, data: Any) -> dict[str, int]:
    """Store the messages and statuses of one webhook body for `number` (one statement,
    in the caller's autocommit) and queue the drain; how many of each outcome: QUEUED,
    DUPLICATE (stored before), IGNORED (a change or an item the desk does not keep)."""
    [counts] = keep_many([(number, data)])
    return counts


def keep_many(bodies: Sequence[tuple[WhatsAppNumber, Any]]) -> list[dict[str, int]]:
    """`keep` for many webhook bodies at once (the requests a writer groups): all their
    rows in one statement, the drains queued once; the counts of each body, in order.
    A row that two bodies bring is queued by the first and a duplicate for the other."""
    counts: list[dict[str, int]] = [{} for _body in bodies]
    found: dict[tuple[int, str, str], tuple[WhatsAppInbound, int]] = {}
    for index, (number, data) in enumerate(bodies):
        for change in changes(data):
            for row in _rows_of(number, change, counts[index]):
                key = (row.number_id, row.wamid, row.kind)
                if key in found:  # twice in one body, or in two: kept once
                    _count(counts[index], DUPLICATE)
                    continue
                found[key] = (row, index)
    rows = [row for row, _index in found.values()]
    new = insert_new(WhatsAppInbound, rows, unique=("number", "wamid", "kind"))
    for key, (_row, index) in found.items():
        _count(counts[index], QUEUED if key in new else DUPLICATE)
    if found:
        # Queued for duplicates too: a body sent again because its drain could not be
        # queued the first time (its answer was 500) gets it queued now.
        drain.request_lanes(DRAIN, drain_whatsapp_task, {r.shard for r in rows})
    return counts


def _count(counts: dict[str, int], outcome: str) -> None:
    counts[outcome] = counts.get(outcome, 0) + 1


def _rows_of(
    number: WhatsAppNumber, change: dict[str, Any], counts: dict[str, int]
) -> list[WhatsAppInbound]:
    """The rows a change brings (what it brings that is not kept is counted ignored)."""
    value = _dict(change.get("value"))
    field = _str(change.get("field"), 64)
    if field != "messages":
        logger.info("whatsapp number %s: a %r change ignored", number.pk, field or "?")
        _count(counts, IGNORED)
        return []
    target = _number_of(number, value)
    if target is None:
        _count(counts, IGNORED)
        return []
    names = {
        _str(c.get("wa_id"), 32): _str(_dict(c.get("profile")).get("name"), 200)
        for c in map(_dict, _list(value.get("contacts")))
    }
    rows = []
    for item in map(_dict, _list(value.get("messages"))):
        wamid, wa_id = _str(item.get("id"), 200), _str(item.get("from"), 32)
        if not wamid or not wa_id.isdigit():
            logger.info("whatsapp number %s: a message without id or sender ignored", target.pk)
            _count(counts, IGNORED)
            continue
        payload = {"item": item, "name": names.get(wa_id, "")}
        rows.append(_row(target, wamid, MESSAGE, payload, wa_id))
    for item in map(_dict, _list(value.get("statuses"))):
        wamid, state = _str(item.get("id"), 200), _str(item.get("status"), 16)
        if not wamid:
            logger.info("whatsapp number %s: a status without a message id ignored", target.pk)
            _count(counts, IGNORED)
            continue
        person = _str(item.get("recipient_id"), 32)
        rows.append(_row(target, wamid, STATUS_KIND + state, {"item": item}, person))
    return rows


def _row(
    number: WhatsAppNumber, wamid: str, kind: str, payload: dict[str, Any], person: str
) -> WhatsAppInbound:
    return WhatsAppInbound(
        number=number,
        wamid=wamid,
        kind=kind,
        payload=payload,
        shard=drain.shard_of(person or None),
    )


def waiting() -> QuerySet[WhatsAppInbound]:
    return WhatsAppInbound.objects.filter(drain.waiting_filter())


def take_many(ids: list[int]) -> int:
    """Take in a batch of stored messages and statuses, in order; how many were handled.

    The messages between two statuses are stored together (`drain.store`); a status is
    applied where it came, so a person who wrote after the desk's message to them
    failed is reachable again, and one whose message failed after they wrote is not."""
    rows = list(
        WhatsAppInbound.objects.select_related("number")
        .filter(pk__in=ids, handled_at__isnull=True)
        .order_by("id")
    )
    opened: list[Any] = []
    pending: list[WhatsAppInbound] = []
    work: list[tuple[WhatsAppInbound, Arrived, str]] = []
    for row in rows:
        if row.kind != MESSAGE:
            opened += _store(pending, work)
            pending, work = [], []
            _take_status_row(row)
            continue
        pending.append(row)
        try:
            arrived = _read(row)
        except Exception as exc:
            drain.failed(row, exc)  # a malformed message: noted, the others go on
            continue
        if arrived is not None:
            work.append((row, arrived, MESSAGE))
    opened += _store(pending, work)
    answer_first_many(opened)
    return len(rows)


def _store(
    rows: list[WhatsAppInbound], work: list[tuple[WhatsAppInbound, Arrived, str]]
) -> list[Any]:
    return drain.store(rows, work) if rows else []


def _take_status_row(row: WhatsAppInbound) -> None:
    """Apply a status and note its row handled, together; a failure is noted on it."""
    item = _dict(_dict(row.payload).get("item"))
    try:
        with transaction.atomic():
            row.outcome = take_status(row.number, item)
            drain.handled([row])
    except Exception as exc:
        drain.failed(row, exc)
        drain.handled([row])


def _number_of(number: WhatsAppNumber, value: dict[str, Any]) -> WhatsAppNumber | None:
    """The desk's number a change is about: Meta posts every number of an app to one
    address, so a change for another number of the same app goes to that number."""
    phone_id = _str(_dict(value.get("metadata")).get("phone_number_id"), 32)
    if not phone_id or phone_id == number.phone_number_id:
        return number if number.active else None
    other = WhatsAppNumber.objects.filter(phone_number_id=phone_id, active=True).first()
    if other is None or other.app_secret != number.app_secret:
        logger.info("whatsapp number %s: a change for another number ignored", number.pk)
        return None
    return other


def _sent_at(item: dict[str, Any]) -> datetime | None:
    stamp = _str(item.get("timestamp"), 20)
    if not stamp.isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(stamp), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _media(kind: str, item: dict[str, Any], wamid: str) -> MediaRef | None:
    media = _dict(item.get(kind))
    media_id = _str(media.get("id"), 200)
    if not media_id:
        return None
    content_type = _str(media.get("mime_type"), 100).split(";")[0].strip().lower()
    name = _str(media.get("filename"), 255)
    if not name:
        label = "voice" if kind == "audio" and media.get("voice") is True else kind
        extension = EXTENSIONS.get(content_type, "bin")
        name = f"{label}-{media_id[-12:]}.{extension}"
    return MediaRef(media_id=media_id, name=clean_filename(name), content_type=content_type)


def _text_of(kind: str, item: dict[str, Any]) -> str:
    if kind == "text":
        return _str(_dict(item.get("text")).get("body"))
    if kind == "button":
        return _str(_dict(item.get("button")).get("text"), 256)
    if kind in MEDIA_KINDS:
        return _str(_dict(item.get(kind)).get("caption"))
    return ""


def _read(row: WhatsAppInbound) -> Arrived | None:
    """The message a row brings (its file fetched), or None when the desk does not take
    it: then `row.outcome` says so."""
    number, payload = row.number, _dict(row.payload)
    item = _dict(payload.get("item"))
    wa_id = _str(item.get("from"), 32)
    kind = _str(item.get("type"), 32)
    row.outcome = IGNORED
    if not number.active:
        logger.info("whatsapp number %s: a message ignored, the number is off", number.pk)
        return None
    if kind not in ("text", "button", *MEDIA_KINDS):
        logger.info("whatsapp number %s: a %r message ignored", number.pk, kind or "?")
        return None
    text = _text_of(kind, item)
    ref = _media(kind, item, row.wamid) if kind in MEDIA_KINDS else None
    if not text and ref is None:
        logger.info("whatsapp number %s: an empty %r message ignored", number.pk, kind)
        return None
    files, left_out = _fetch(number, [ref] if ref is not None else [])
    body = "\n".join(part for part in [text, *left_out] if part) or ", ".join(f.name for f in files)
    name = _str(payload.get("name"), 200) or f"+{wa_id}"
    return Arrived(
        channel=Channel.WHATSAPP,
        account_id=number.pk,
        chat_id=wa_id,
        contact=Contact(
            kind=IdentityKind.WHATSAPP,
            value=f"+{wa_id}",
            name=name,
            phone=f"+{wa_id}",
            # WhatsApp vouches for the number: it joins the person who has it.
            phone_verified=True,
        ),
        body=body,
        external_id=f"whatsapp:{row.wamid}",
        attachments=files,
        team_id=number.team_id,
        sent_at=_sent_at(item),
    )


def _fetch(number: WhatsAppNumber, refs: list[MediaRef]) -> tuple[list[IncomingFile], list[str]]:
    """The files the desk takes, and a line for each it could not (kept in the text, so
    the agent knows something was sent)."""
    limit = settings.MAX_ATTACHMENT_MB * 1024 * 1024
    wanted: list[MediaRef] = []
    left_out: list[str] = []
    for ref in refs:
        try:
            check_attachments([IncomingFile(name=ref.name, content=io.BytesIO(), size=0)])
        except OporaError as exc:
            left_out.append(f"[{ref.name}: {exc.message}]")
            continue
        wanted.append(ref)
    if not wanted:
        return [], left_out
    try:
        data = client.download(
            client.Endpoint.of(number), [r.media_id for r in wanted], limit=limit
        )
    except client.FileTooLarge:
        note = _("larger than the %(limit)s MB limit, not stored") % {
            "limit": settings.MAX_ATTACHMENT_MB
        }
        return [], left_out + [f"[{r.name}: {note}]" for r in wanted]
    except Exception as exc:
        error = client.describe(exc, number.access_token)
        actions.note_result(number, error=error)
        logger.warning("whatsapp number %s: media could not be fetched: %s", number.pk, error)
        note = _("could not be fetched from WhatsApp")
        return [], left_out + [f"[{r.name}: {note}]" for r in wanted]
    files = [
        IncomingFile(name=r.name, content=io.BytesIO(b), size=len(b), content_type=r.content_type)
        for r, b in zip(wanted, data, strict=True)
    ]
    return files, left_out


def _error_of(item: dict[str, Any]) -> tuple[int | None, str]:
    first = _dict(next(iter(_list(item.get("errors"))), None))
    code = first.get("code")
    title = _str(first.get("title"), 300) or _str(first.get("message"), 300)
    details = _str(_dict(first.get("error_data")).get("details"), 300)
    number = code if isinstance(code, int) and not isinstance(code, bool) else None
    text = f"WhatsApp error {number}: {title}" if number is not None else title
    if details and details != title:
        text = f"{text} ({details})"
    return number, text or "WhatsApp reported the message as failed"


def take_status(number: WhatsAppNumber, item: dict[str, Any]) -> str:
    """What became of a message the desk sent."""
    wamid = _str(item.get("id"), 200)
    status = _str(item.get("status"), 16)
    sent = WhatsAppSent.objects.filter(number=number, wamid=wamid).first() if wamid else None
    if sent is None:
        logger.info("whatsapp number %s: a status of an unknown message ignored", number.pk)
        return IGNORED
    if status == "sent":
        return STATUS
    if status in STATES:
        WhatsAppSent.objects.filter(pk=sent.pk).update(status=status)
        if sent.delivery_id is not None:
            report_receipt(sent.delivery_id, STATES[status])
        return STATUS
    if status != "failed":
        logger.info("whatsapp number %s: a %r status ignored", number.pk, status or "?")
        return IGNORED
    code, error = _error_of(item)
    WhatsAppSent.objects.filter(pk=sent.pk).update(status=status, error=error[:500])
    chat = Conversation.objects.filter(
        channel=Channel.WHATSAPP,
        account_id=number.pk,
        chat_id=_str(item.get("recipient_id"), 32),
    ).first()
    if chat is not None and code == client.REENGAGEMENT:
        window.close(chat)
    elif chat is not None and code == client.UNDELIVERABLE:
        mark_unreachable(chat, error)
    if sent.delivery_id is not None:
        report_receipt(sent.delivery_id, DeliveryState.FAILED.value, error)
    return STATUS
