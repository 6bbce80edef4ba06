"""The desk's replies to messengers, sent by one deliverer job per account.

A job per reply costs more than the sending: its own bookkeeping, and the ticket and
chat loaded for each. So the Telegram and VK adapters queue no job per reply
(`schedule`): after commit they queue their account's deliverer, only when none is
queued (the same flag rows as the intake's drain, `drain.request`). The deliverer sends
every reply waiting for that account, oldest first, in batches through the outbox's
`deliver_many`: a batch is claimed and loaded with a few statements (`batch`: the
account, the chats, the messages and their files, read once for all its rows), each
reply is one provider call (or a few: long texts, files) through one session with the
provider for the whole run, and the sent ones are saved together; a failure is
retried with backoff or shown on the ticket exactly as a job per reply did. One
deliverer runs per account at a time, so a chat's replies go out in order. A reply that
waits for a retry (its backoff) is left to the outbox's retry job; the sweep still
hands any forgotten row to a job of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from opora.core.transaction import after_commit
from opora.inbox.delivery import deliver_many
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers import drain
from opora.messengers.models import Conversation
from opora.tickets.models import Message

BATCH = 200
M = TypeVar("M", bound=Model)


@dataclass
class Loaded:
    """What a batch's adapter calls read, loaded once for all its rows."""

    accounts: dict[tuple[type[Model], int], Model | None] = field(default_factory=dict)
    chats: dict[tuple[str, int, str], Conversation | None] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    # Accounts that sent something, with how to note it: noted once, at the end.
    succeeded: dict[tuple[type[Model], int], Callable[[], object]] = field(default_factory=dict)


class _Current(threading.local):
    loaded: Loaded | None = None


_current = _Current()


def _account_id(row: Delivery) -> int:
    account = row.address.partition(":")[0]
    return int(account) if account.isdigit() else 0


@contextmanager
def batch(
    rows: Sequence[Delivery], model: type[Model], sessions: Callable[[], Any]
) -> Iterator[Loaded]:
    """Within it, `account`, `chat` and `message` answer from what was loaded for
    `rows` (accounts of `model`), the provider's calls share `sessions()`, and a
    successful account is noted once at the end (`succeeded`)."""
    accounts = {_account_id(r) for r in rows}
    loaded = Loaded()
    for found in model._default_manager.filter(pk__in=accounts):
        loaded.accounts[(model, found.pk)] = found
    for pk in accounts:
        loaded.accounts.setdefault((model, pk), None)
    chats = {(r.channel, _account_id(r), r.address.partition(":")[2]) for r in rows}
    lookup = Q()
    for channel, account, chat in chats:
        lookup |= Q(channel=channel, account_id=account, chat_id=chat)
    if chats:
        for c in Conversation.objects.filter(lookup):
            loaded.chats[(c.channel, c.account_id, c.chat_id)] = c
    for key in chats:
        loaded.chats.setdefault(key, None)
    messages = {r.ticket_message_id for r in rows if r.ticket_message_id is not None}
    for message in Message.objects.filter(pk__in=messages).prefetch_related("attachments"):
        loaded.messages[message.pk] = message
    _current.loaded = loaded
    try:
        with ExitStack() as stack:
            stack.enter_context(sessions())
            yield loaded
    finally:
        _current.loaded = None
        for note in loaded.succeeded.values():
            note()


def account(model: type[M], pk: int) -> M | None:
    """The account (a bot, a community) a delivery goes through."""
    loaded = _current.loaded
    if loaded is not None and (model, pk) in loaded.accounts:
        return loaded.accounts[(model, pk)]  # type: ignore[return-value]
    return model._default_manager.filter(pk=pk).first()


def chat(channel: str, account_id: int, chat_id: str) -> Conversation | None:
    loaded = _current.loaded
    if loaded is not None and (channel, account_id, chat_id) in loaded.chats:
        return loaded.chats[(channel, account_id, chat_id)]
    return Conversation.objects.filter(
        channel=channel, account_id=account_id, chat_id=chat_id
    ).first()


def message(pk: int | None) -> Message:
    loaded = _current.loaded
    if loaded is not None and pk in loaded.messages:
        return loaded.messages[pk]
    return Message.objects.prefetch_related("attachments").get(pk=pk or 0)


def succeeded(account: Model, note: Callable[[], object]) -> None:
    """The account sent something: `note` runs now, or once at the end of a batch."""
    loaded = _current.loaded
    if loaded is None:
        note()
    else:
        loaded.succeeded[(type(account), account.pk)] = note


def _name(channel: str, account: str) -> str:
    return f"out:{channel}:{account}"[:32]


def schedule(rows: Sequence[Delivery]) -> None:
    """Queue the deliverers of the rows' accounts, after commit."""
    for channel, account in sorted({(r.channel, r.address.partition(":")[0]) for r in rows}):
        after_commit(_request, channel, account)


def _request(channel: str, account: str) -> None:
    from opora.messengers.tasks import deliver_replies_task

    drain.request(_name(channel, account), deliver_replies_task, channel, account)


def waiting(channel: str, account: str) -> QuerySet[Delivery]:
    """The account's replies not yet tried (a retry waits for its own job)."""
    return Delivery.objects.filter(
        channel=channel,
        state=DeliveryState.QUEUED,
        next_attempt_at__isnull=True,
        address__startswith=f"{account}:",
    )


def run(channel: str, account: str) -> int:
    """Send every reply waiting for the account; how many were tried."""
    from opora.inbox.channels import adapter_for

    tried: set[int] = set()
    around = getattr(adapter_for(channel), "batch", None)  # the adapter's `batch`

    def step() -> int:
        ids = [
            pk
            for pk in waiting(channel, account).order_by("id").values_list("pk", flat=True)[:BATCH]
            if pk not in tried
        ]
        tried.update(ids)
        if ids:
            deliver_many(ids, around)
        return len(ids)

    return drain.alone(_name(channel, account), step, lambda: waiting(channel, account).exists())
