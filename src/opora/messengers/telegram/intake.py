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
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from opora.accounts.identities import Contact
from opora.accounts.models import IdentityKind, Language
from opora.core.bulk import insert_once
from opora.core.errors import OporaError
from opora.messengers import actions, drain
from opora.messengers.conversations import Arrived, answer_first_many
from opora.messengers.models import TelegramBot, TelegramUpdate
from opora.messengers.telegram import client, reading
from opora.tickets.attachments import IncomingFile, check_attachments
from opora.tickets.models import Channel

logger = logging.getLogger("opora.messengers.telegram")

DRAIN = "telegram"  # the drain's name (`drain.py`)
# What became of an update.
QUEUED = "queued"  # stored, the drain takes it in
MESSAGE = "message"
START = "start"
IGNORED = "ignored"
DUPLICATE = "duplicate"


def language_of(user: reading.Person, bot: TelegramBot) -> str:
    """Russian or English from the person's Telegram language; else the bot's."""
    code = user.language_code.lower()
    for language in Language.values:
        if code == language or code.startswith(f"{language}-"):
            return language
    return bot.language


def _contact(user: reading.Person, language: str) -> Contact:
    full = " ".join(part for part in (user.first_name, user.last_name) if part).strip()
    name = full or (f"@{user.username}" if user.username else f"Telegram {user.id}")
    return Contact(kind=IdentityKind.TELEGRAM, value=str(user.id), name=name, language=language)


def _is_start(text: str) -> bool:
    first = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    return first == "/start" or first.startswith("/start@")


def keep(bot_id: int, update_id: int, data: dict[str, Any]) -> bool:
    """Store an update as it came, for the drain; False when it was stored before
    (one INSERT … ON CONFLICT DO NOTHING: a webhook commits it at once)."""
    row = TelegramUpdate(bot_id=bot_id, update_id=update_id, payload=data, shard=shard(data))
    return insert_once(row, unique=("bot", "update_id"))


def shard(data: Any) -> int:
    """The drain shard of an update: from who wrote (the sender, else the chat), read
    without checking the rest (an update the drain will refuse goes to shard 0)."""
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        return 0
    for part in ("from", "chat"):
        found = message.get(part)
        if isinstance(found, dict) and isinstance(found.get("id"), int):
            return drain.shard_of(found["id"])
    return 0


def waiting() -> QuerySet[TelegramUpdate]:
    return TelegramUpdate.objects.filter(drain.waiting_filter())


def take_many(ids: list[int]) -> int:
    """Take in a batch of stored updates, in order; how many were handled."""
    rows = list(
        TelegramUpdate.objects.select_related("bot")
        .filter(pk__in=ids, handled_at__isnull=True)
        .order_by("id")
    )
    work: list[tuple[TelegramUpdate, Arrived, str]] = []
    with client.sessions():  # files and greetings: one session per bot for the batch
        for row in rows:
            try:
                arrived = _read(row)
            except Exception as exc:
                drain.failed(row, exc)  # a malformed update: noted, the others go on
                continue
            if arrived is not None:
                work.append((row, arrived, MESSAGE))
    opened = drain.store(rows, work)
    answer_first_many(opened)
    return len(rows)


def _kinds_of(data: dict[str, Any]) -> str:
    return ",".join(sorted(str(k) for k in data if k != "update_id")) or "empty"


def _read(row: TelegramUpdate) -> Arrived | None:
    """The message an update brings (its files fetched), or None when it brings none:
    then `row.outcome` says why (ignored, or a /start answered)."""
    bot, data = row.bot, row.payload if isinstance(row.payload, dict) else {}
    message = reading.message_of(data)
    sender = message.sender if message is not None else None
    if not bot.active:
        row.outcome = IGNORED
        logger.info("telegram bot %s: update %s ignored, the bot is off", bot.pk, row.update_id)
        return None
    if message is None or sender is None or sender.is_bot or message.chat_type != "private":
        logger.info(
            "telegram bot %s: update %s ignored (%s)",
            bot.pk,
            row.update_id,
            _describe(message, _kinds_of(data)),
        )
        row.outcome = IGNORED
        return None
    language = language_of(sender, bot)
    text = message.text.strip()
    if _is_start(text):
        row.outcome = START
        greet(bot, str(message.chat_id), language)
        return None
    refs = list(message.files)
    if not text and not refs:
        logger.info(
            "telegram bot %s: update %s ignored (a message with no text or file we take)",
            bot.pk,
            row.update_id,
        )
        row.outcome = IGNORED
        return None
    files, left_out = _fetch(bot, refs)
    body = "\n".join(part for part in [text, *left_out] if part) or ", ".join(f.name for f in files)
    return Arrived(
        channel=Channel.TELEGRAM,
        account_id=bot.pk,
        chat_id=str(message.chat_id),
        contact=_contact(sender, language),
        body=body,
        external_id=f"telegram:{bot.pk}:{message.chat_id}:{message.message_id}",
        attachments=files,
        team_id=bot.team_id,
    )


def _describe(message: reading.Message | None, kinds: str) -> str:
    if message is not None and message.chat_type != "private":
        return f"a {message.chat_type} chat"
    return kinds


def _fetch(bot: TelegramBot, refs: list[reading.FileRef]) -> tuple[list[IncomingFile], list[str]]:
    """The files the desk takes, and a line for each it could not (kept in the text, so
    the agent knows something was sent)."""
    limit = settings.MAX_ATTACHMENT_MB * 1024 * 1024
    wanted: list[reading.FileRef] = []
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
