"""A Telegram update, from the webhook or from getUpdates, into the desk.

- A private chat's message (text or caption; the largest photo size, a document, a
  voice message, each fetched through getFile and stored as an attachment) goes to the
  person's open Telegram ticket, or opens one (`conversations.store`).
- `/start` is answered with a greeting in the person's language (Russian or English,
  from Telegram's `language_code`) and opens no ticket.
- Anything else (edited messages, group chats, stickers, update kinds the desk does not
  take) is noted with a log line and ignored.

Every update a bot received is noted once (`TelegramUpdate`): Telegram retries a webhook
it thinks failed, so the second delivery of an update changes nothing.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import telegram
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from opora.accounts.identities import Contact
from opora.accounts.models import IdentityKind, Language
from opora.core.errors import OporaError
from opora.messengers import actions
from opora.messengers.conversations import Arrived, store
from opora.messengers.models import TelegramBot, TelegramUpdate
from opora.messengers.telegram import client
from opora.tickets.attachments import IncomingFile, check_attachments, clean_filename
from opora.tickets.models import Channel

logger = logging.getLogger("opora.messengers.telegram")

# What became of an update.
MESSAGE = "message"
START = "start"
IGNORED = "ignored"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class FileRef:
    file_id: str
    name: str
    content_type: str
    size: int | None


def language_of(user: telegram.User, bot: TelegramBot) -> str:
    """Russian or English from the person's Telegram language; else the bot's."""
    code = (user.language_code or "").lower()
    for language in Language.values:
        if code == language or code.startswith(f"{language}-"):
            return language
    return bot.language


def _contact(user: telegram.User, language: str) -> Contact:
    full = " ".join(part for part in (user.first_name, user.last_name) if part).strip()
    name = full or (f"@{user.username}" if user.username else f"Telegram {user.id}")
    return Contact(kind=IdentityKind.TELEGRAM, value=str(user.id), name=name, language=language)


def _files(message: telegram.Message) -> list[FileRef]:
    found = []
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        found.append(
            FileRef(
                largest.file_id,
                f"photo-{largest.file_unique_id}.jpg",
                "image/jpeg",
                largest.file_size,
            )
        )
    if message.document:
        doc = message.document
        found.append(
            FileRef(
                doc.file_id,
                clean_filename(doc.file_name or f"document-{doc.file_unique_id}"),
                doc.mime_type or "",
                doc.file_size,
            )
        )
    if message.voice:
        voice = message.voice
        found.append(
            FileRef(
                voice.file_id,
                f"voice-{voice.file_unique_id}.ogg",
                voice.mime_type or "audio/ogg",
                voice.file_size,
            )
        )
    return found


def _is_start(text: str) -> bool:
    first = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    return first == "/start" or first.startswith("/start@")


def _note(bot: TelegramBot, update_id: int, outcome: str) -> bool:
    """Note the update as handled; False when it was already."""
    try:
        with transaction.atomic():
            TelegramUpdate.objects.create(bot=bot, update_id=update_id, outcome=outcome)
    except IntegrityError:
        return False
    return True


def _kinds(update: telegram.Update) -> str:
    return ",".join(sorted(k for k in update.to_dict() if k != "update_id")) or "empty"


def take(bot: TelegramBot, update: telegram.Update, *, kinds: str = "") -> str:
    """Handle one update; what became of it (MESSAGE, START, IGNORED, DUPLICATE).
    `kinds`: what the update held, for the log line of one ignored (by default, what
    the library read of it)."""
    update_id = update.update_id
    if TelegramUpdate.objects.filter(bot=bot, update_id=update_id).exists():
        return DUPLICATE
    message = update.message
    sender = message.from_user if message is not None else None
    if message is None or sender is None or sender.is_bot or message.chat.type != "private":
        logger.info(
            "telegram bot %s: update %s ignored (%s)",
            bot.pk,
            update_id,
            _describe(update, kinds),
        )
        return IGNORED if _note(bot, update_id, IGNORED) else DUPLICATE
    language = language_of(sender, bot)
    text = (message.text or message.caption or "").strip()
    if _is_start(text):
        if not _note(bot, update_id, START):
            return DUPLICATE
        greet(bot, str(message.chat.id), language)
        return START
    refs = _files(message)
    if not text and not refs:
        logger.info(
            "telegram bot %s: update %s ignored (a message with no text or file we take)",
            bot.pk,
            update_id,
        )
        return IGNORED if _note(bot, update_id, IGNORED) else DUPLICATE
    files, left_out = _fetch(bot, refs)
    body = "\n".join(part for part in [text, *left_out] if part) or ", ".join(f.name for f in files)
    stored = store(
        Arrived(
            channel=Channel.TELEGRAM,
            account_id=bot.pk,
            chat_id=str(message.chat.id),
            contact=_contact(sender, language),
            body=body,
            external_id=f"telegram:{bot.pk}:{message.chat.id}:{message.message_id}",
            attachments=files,
            team_id=bot.team_id,
        ),
        lambda: TelegramUpdate.objects.create(bot=bot, update_id=update_id, outcome=MESSAGE),
    )
    return MESSAGE if stored is not None else DUPLICATE


def _describe(update: telegram.Update, kinds: str) -> str:
    message = update.message
    if message is not None and message.chat.type != "private":
        return f"a {message.chat.type} chat"
    return kinds or _kinds(update)


def _fetch(bot: TelegramBot, refs: list[FileRef]) -> tuple[list[IncomingFile], list[str]]:
    """The files the desk takes, and a line for each it could not (kept in the text, so
    the agent knows something was sent)."""
    limit = settings.MAX_ATTACHMENT_MB * 1024 * 1024
    wanted: list[FileRef] = []
    left_out: list[str] = []
    for ref in refs:
        try:
            check_attachments(
                [IncomingFile(name=ref.name, content=io.BytesIO(), size=ref.size or 0)]
            )
        except OporaError as exc:
            left_out.append(f"[{ref.name}: {exc.message}]")
            continue
        wanted.append(ref)
    if not wanted:
        return [], left_out
    try:
        data = client.download(client.Endpoint.of(bot), [r.file_id for r in wanted], limit=limit)
    except client.FileTooLarge:
        note = _("larger than the %(limit)s MB limit, not stored") % {
            "limit": settings.MAX_ATTACHMENT_MB
        }
        return [], left_out + [f"[{r.name}: {note}]" for r in wanted]
    except Exception as exc:
        error = client.describe(exc, bot.token)
        actions.note_result(bot, error=error)
        logger.warning("telegram bot %s: files could not be fetched: %s", bot.pk, error)
        note = _("could not be fetched from Telegram")
        return [], left_out + [f"[{r.name}: {note}]" for r in wanted]
    files = [
        IncomingFile(name=r.name, content=io.BytesIO(b), size=len(b), content_type=r.content_type)
        for r, b in zip(wanted, data, strict=True)
    ]
    return files, left_out


def greeting(bot: TelegramBot, language: str) -> str:
    with translation.override(language):
        return _(
            "Hello! You have reached %(name)s. Write your question here (a photo or a "
            "document may help), and we will answer in this chat."
        ) % {"name": bot.name}


def greet(bot: TelegramBot, chat_id: str, language: str) -> None:
    """Answer /start; a failure is noted on the bot, never a ticket."""
    try:
        client.send(client.Endpoint.of(bot), chat_id, [greeting(bot, language)], [])
    except Exception as exc:
        error = client.describe(exc, bot.token)
        actions.note_result(bot, error=error)
        logger.warning("telegram bot %s: the greeting was not sent: %s", bot.pk, error)
    else:
        actions.note_result(bot)
