"""Telegram's way out: the desk's public replies on a Telegram ticket, sent to the chat
the person wrote from, through the bot that chat belongs to.

The outbox (`inbox/delivery.py`) retries with backoff what fails here; a refusal that
trying again will not change is permanent at once: the person blocked the bot (the chat
is marked unreachable, and later replies fail at once until the person writes again),
the chat is gone, the bot was removed or its token no longer works.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import telegram

from opora.inbox.channels import DeliveryFailed
from opora.messengers import actions, outbox
from opora.messengers.conversations import mark_unreachable, split_text
from opora.messengers.models import TelegramBot
from opora.messengers.selectors import conversation_for
from opora.messengers.telegram import client
from opora.tickets.models import Channel, Message, Ticket

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opora.inbox.models import Delivery

# Shown inline as a photo (Telegram takes photos up to 10 MB); anything else is a document.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def _files(message: Message) -> list[client.OutgoingFile]:
    out = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            data = handle.read()
        photo = attachment.content_type in PHOTO_TYPES and len(data) <= MAX_PHOTO_BYTES
        out.append(client.OutgoingFile(name=attachment.filename, data=data, photo=photo))
    return out


class TelegramAdapter:
    channel: str = Channel.TELEGRAM.value
    # The person reads it when Telegram brings it: a worker sends it, not the request.
    immediate = False

    def schedule(self, rows: list[Delivery]) -> None:
        """One deliverer per account sends them (`messengers/outbox.py`)."""
        outbox.schedule(rows)

    def batch(self, rows: Sequence[Delivery]) -> AbstractContextManager[object]:
        """A deliverer's batch: bots, chats and messages loaded once, one session per bot."""
        return outbox.batch(rows, TelegramBot, client.sessions)

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        found = conversation_for(ticket, self.channel)
        return f"{found.account_id}:{found.chat_id}" if found is not None else None

    def deliver(self, delivery: Delivery) -> str:
        account, _, chat_id = delivery.address.partition(":")
        bot = outbox.account(TelegramBot, int(account) if account.isdigit() else 0)
        if bot is None or not bot.active:
            raise DeliveryFailed(
                "The Telegram bot of this chat was removed or turned off.", permanent=True
            )
        chat = outbox.chat(self.channel, bot.pk, chat_id)
        if chat is not None and chat.unreachable_at is not None:
            raise DeliveryFailed(
                f"The customer is unreachable on Telegram: {chat.unreachable_reason}",
                permanent=True,
            )
        message = outbox.message(delivery.ticket_message_id)
        files = _files(message)
        texts = split_text(message.body, client.MAX_TEXT)
        if not texts and not files:
            return ""
        try:
            ids = client.send(client.Endpoint.of(bot), chat_id, texts, files)
        except telegram.error.Forbidden as exc:
            # "Forbidden: bot was blocked by the user" (or the user is deactivated).
            reason = client.describe(exc, bot.token)
            if chat is not None:
                mark_unreachable(chat, reason)
            raise DeliveryFailed(
                f"The customer blocked the bot and is unreachable on Telegram ({reason})",
                permanent=True,
            ) from None
        except (telegram.error.BadRequest, telegram.error.InvalidToken) as exc:
            reason = client.describe(exc, bot.token)
            actions.note_result(bot, error=reason)
            raise DeliveryFailed(reason, permanent=True) from None
        except Exception as exc:
            reason = client.describe(exc, bot.token)
            actions.note_result(bot, error=reason)
            raise DeliveryFailed(reason) from None  # tried again with backoff
        outbox.succeeded(bot, lambda: actions.note_result(bot))
        return ",".join(str(i) for i in ids)[:255]
