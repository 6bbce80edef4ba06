"""What every messenger does with a message that arrived, and with a person it can no
longer reach.

A messenger's intake reads its provider's update, fetches the files (outside any
transaction: they come over the network), and hands an `Arrived` to `store`, together
with its own way of noting the update as handled. `store` does the rest in one
transaction: the update noted (a second delivery of it stops here), the message through
the channel layer's `receive` (the person's open conversation, or a new ticket with
routing, language, SLA and search), and the chat remembered as where the desk's replies
go. A new ticket gets the answer bot's reply first, as a live chat does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from opora.accounts.identities import Contact
from opora.automation import bot as answer_bot
from opora.automation.models import BotSettings
from opora.core import clock
from opora.core.bulk import upsert_rows
from opora.core.errors import OporaError
from opora.inbox.channels import Inbound, Received, receive, receive_many
from opora.messengers.models import Conversation
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Message, Ticket

logger = logging.getLogger("opora.messengers")


@dataclass(frozen=True)
class Arrived:
    """One message from a person, as a messenger's intake read it."""

    channel: str  # a tickets.Channel value
    account_id: int  # the desk's account on that channel (a TelegramBot id)
    chat_id: str  # where to answer
    contact: Contact
    body: str
    external_id: str  # unique on the channel: repeated deliveries are kept once
    attachments: Sequence[IncomingFile] = ()
    team_id: int | None = None  # a new ticket's team (the account's); None: routing
    subject: str = ""  # a new ticket's subject; empty: from the body
    # The conversation's own ticket, and whether only it may take the message (see
    # `Inbound.only_named`): a channel whose chats must not mix (VK wall and messages).
    ticket_id: int | None = None
    only_named: bool = False
    sent_at: datetime | None = None  # when the person sent it (the provider's time)


@dataclass(frozen=True)
class Stored:
    ticket: Ticket
    message: Message
    opened: bool  # the message opened the ticket


def store(arrived: Arrived, note_handled: Callable[[], object]) -> Stored | None:
    """Take `arrived` in; None when `note_handled` found it handled already (it raises
    IntegrityError for an update noted before)."""
    try:
        with transaction.atomic():
            note_handled()
            ticket, message = receive(
                Inbound(
                    channel=arrived.channel,
                    contact=arrived.contact,
                    body=arrived.body,
                    attachments=arrived.attachments,
                    external_id=arrived.external_id,
                    team_id=arrived.team_id,
                    subject=arrived.subject,
                    ticket_id=arrived.ticket_id,
                    only_named=arrived.only_named,
                )
            )
            _remember_many([(arrived, ticket)])
    except IntegrityError:
        return None  # the same update, taken in by another request a moment ago
    opened = not Message.objects.filter(ticket=ticket, pk__lt=message.pk).exists()
    if opened:
        answer_first(ticket)
    return Stored(ticket=ticket, message=message, opened=opened)


def _inbound(arrived: Arrived) -> Inbound:
    return Inbound(
        channel=arrived.channel,
        contact=arrived.contact,
        body=arrived.body,
        attachments=arrived.attachments,
        external_id=arrived.external_id,
        team_id=arrived.team_id,
        subject=arrived.subject,
        ticket_id=arrived.ticket_id,
        only_named=arrived.only_named,
        conversation=f"{arrived.account_id}:{arrived.chat_id}",
    )


def store_many(arrived: Sequence[Arrived]) -> list[Stored | OporaError]:
    """Take many messages in at once, in their order (a drain's batch), in the caller's
    transaction: through the channel layer's `receive_many`, with every chat remembered
    in a few statements. A message the desk refused is its error in the answer; one
    stored before comes back as stored (not `opened`). The answer bot's first look at
    the new tickets is `answer_first_many`, after the caller commits."""
    results = receive_many([_inbound(a) for a in arrived])
    _remember_many(
        [(a, r.ticket) for a, r in zip(arrived, results, strict=True) if isinstance(r, Received)]
    )
    return [
        Stored(ticket=r.ticket, message=r.message, opened=r.opened)
        if isinstance(r, Received)
        else r
        for r in results
    ]


def answer_first_many(tickets: Sequence[Ticket]) -> None:
    """`answer_first` for each new ticket; nothing to look at when no answer bot is on."""
    if not tickets or not BotSettings.objects.filter(enabled=True).exists():
        return
    for ticket in tickets:
        answer_first(ticket)


def _remember_many(stored: Sequence[tuple[Arrived, Ticket]]) -> None:
    """The chats these tickets' replies go to (writing again makes a person reachable),
    in one statement: every chat inserted, or its stored row updated (one upsert,
    `core/bulk.py`); each chat's last message decides, and a
    message delivered late never moves the person's last message back (the later of
    the stored and the new moment is kept). An UPDATE per chat cost a statement per
    message."""
    if not stored:
        return
    now = clock.now()
    last: dict[tuple[str, int, str], tuple[Arrived, Ticket, datetime]] = {}
    for arrived, ticket in stored:
        key = (arrived.channel, arrived.account_id, arrived.chat_id)
        wrote_at = min(arrived.sent_at or now, now)
        if key in last and last[key][2] > wrote_at:
            wrote_at = last[key][2]
        last[key] = (arrived, ticket, wrote_at)
    chats = [
        Conversation(
            channel=channel,
            account_id=account,
            chat_id=chat,
            user_id=ticket.requester_id,
            ticket=ticket,
            language=arrived.contact.language or "",
            unreachable_at=None,
            unreachable_reason="",
            last_inbound_at=wrote_at,
            created_at=now,
            updated_at=now,
        )
        # In key order: concurrent batches lock the rows they share in the same order.
        for (channel, account, chat), (arrived, ticket, wrote_at) in sorted(last.items())
    ]
    upsert_rows(
        Conversation,
        chats,
        unique=("channel", "account_id", "chat_id"),
        update=("user", "ticket", "language", "unreachable_at", "unreachable_reason", "updated_at"),
        later=("last_inbound_at",),
    )


def answer_first(ticket: Ticket) -> None:
    """The answer bot looks at a new messenger request at once, before any person, as
    in a live chat; its reply goes out through the channel like an agent's."""
    try:
        answer_bot.answer_ticket(ticket.pk)
    except Exception:
        # The message is stored; a person answers it instead.
        logger.exception("the answer bot failed on ticket %s", ticket.pk)


def mark_unreachable(conversation: Conversation, reason: str) -> None:
    """The person refused the desk's messages (blocked the bot): nothing more is sent
    there until they write again."""
    now = clock.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        unreachable_at=now, unreachable_reason=reason[:500]
    )
    # A deliverer's batch holds this row: its later replies there fail at once too.
    conversation.unreachable_at, conversation.unreachable_reason = now, reason[:500]
    logger.info(
        "%s chat %s of account %s is unreachable",
        conversation.channel,
        conversation.pk,
        conversation.account_id,
    )


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at line ends where possible."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces
