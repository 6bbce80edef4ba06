"""A WhatsApp webhook's body into the desk.

The Cloud API posts `{"object": "whatsapp_business_account", "entry": [{"changes":
[{"field": "messages", "value": {...}}]}]}`; one `value` may hold several
`messages` (the people's) and `statuses` (what became of the desk's).

- A message (text; an image, a document, an audio or voice note, a video, each fetched
  by its media id within the attachment limit; a template's quick-reply button) goes
  to the person's open WhatsApp ticket or opens one (`conversations.store`), and
  remembers when the person wrote: the 24-hour window starts again.
- A status moves the delivery shown on the ticket: delivered → "Received", read →
  "Read", failed → "Not delivered" with WhatsApp's error title (131047 closes the
  window, 131026 marks the person unreachable).
- Anything else (reactions, stickers, locations, other fields) is logged and ignored.

Each message id of a number is taken once (`WhatsAppInbound`): Meta retries a webhook
it thinks failed, so a second delivery changes nothing.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from opora.accounts.identities import Contact
from opora.accounts.models import IdentityKind
from opora.core.errors import OporaError
from opora.inbox.delivery import report_receipt
from opora.inbox.models import DeliveryState
from opora.messengers.conversations import Arrived, mark_unreachable, store
from opora.messengers.models import Conversation, WhatsAppInbound, WhatsAppNumber, WhatsAppSent
from opora.messengers.whatsapp import actions, client, window
from opora.tickets.attachments import IncomingFile, check_attachments, clean_filename
from opora.tickets.models import Channel

logger = logging.getLogger("opora.messengers.whatsapp")

MESSAGE = "message"
STATUS = "status"
IGNORED = "ignored"
DUPLICATE = "duplicate"

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


def take(number: WhatsAppNumber, data: Any) -> dict[str, int]:
    """Handle one webhook body for `number`; how many of each outcome."""
    counts: dict[str, int] = {}
    for change in changes(data):
        value = _dict(change.get("value"))
        field = _str(change.get("field"), 64)
        if field != "messages":
            logger.info("whatsapp number %s: a %r change ignored", number.pk, field or "?")
            counts[IGNORED] = counts.get(IGNORED, 0) + 1
            continue
        target = _number_of(number, value)
        if target is None:
            counts[IGNORED] = counts.get(IGNORED, 0) + 1
            continue
        names = {
            _str(c.get("wa_id"), 32): _str(_dict(c.get("profile")).get("name"), 200)
            for c in map(_dict, _list(value.get("contacts")))
        }
        for item in _list(value.get("messages")):
            outcome = take_message(target, _dict(item), names)
            counts[outcome] = counts.get(outcome, 0) + 1
        for item in _list(value.get("statuses")):
            outcome = take_status(target, _dict(item))
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


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


def _note(number: WhatsAppNumber, wamid: str, outcome: str) -> bool:
    try:
        with transaction.atomic():
            WhatsAppInbound.objects.create(number=number, wamid=wamid, outcome=outcome)
    except IntegrityError:
        return False
    return True


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


def take_message(number: WhatsAppNumber, item: dict[str, Any], names: dict[str, str]) -> str:
    wamid = _str(item.get("id"), 200)
    wa_id = _str(item.get("from"), 32)
    kind = _str(item.get("type"), 32)
    if not wamid or not wa_id.isdigit():
        logger.info("whatsapp number %s: a message without id or sender ignored", number.pk)
        return IGNORED
    if WhatsAppInbound.objects.filter(number=number, wamid=wamid).exists():
        return DUPLICATE
    if kind not in ("text", "button", *MEDIA_KINDS):
        logger.info("whatsapp number %s: a %r message ignored", number.pk, kind or "?")
        return IGNORED if _note(number, wamid, IGNORED) else DUPLICATE
    text = _text_of(kind, item)
    ref = _media(kind, item, wamid) if kind in MEDIA_KINDS else None
    if not text and ref is None:
        logger.info("whatsapp number %s: an empty %r message ignored", number.pk, kind)
        return IGNORED if _note(number, wamid, IGNORED) else DUPLICATE
    files, left_out = _fetch(number, [ref] if ref is not None else [])
    body = "\n".join(part for part in [text, *left_out] if part) or ", ".join(f.name for f in files)
    name = names.get(wa_id) or f"+{wa_id}"
    stored = store(
        Arrived(
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
            external_id=f"whatsapp:{wamid}",
            attachments=files,
            team_id=number.team_id,
            sent_at=_sent_at(item),
        ),
        lambda: WhatsAppInbound.objects.create(number=number, wamid=wamid, outcome=MESSAGE),
    )
    return MESSAGE if stored is not None else DUPLICATE


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
