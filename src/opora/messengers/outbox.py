"""The desk's replies to messengers, sent by one deliverer job per account.

A job per reply costs more than the sending: its own bookkeeping, and the ticket and
chat loaded for each. So the Telegram and VK adapters queue no job per reply
(`schedule`): after commit they queue their account's deliverer, only when none is
queued (the same flag rows as the intake's drain, `drain.request`). The deliverer sends
every reply waiting for that account, oldest first, each through the outbox's own
`deliver` — one provider call (or a few: long texts, files) per message, through one
session with the provider for the whole run, its claim, its
retries with backoff, its failure on the ticket, exactly as a job per reply did. One
deliverer runs per account at a time, so a chat's replies go out in order. A reply that
waits for a retry (its backoff) is left to the outbox's retry job; the sweep still
hands any forgotten row to a job of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from opora.core.transaction import after_commit
from opora.inbox.delivery import deliver
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers import drain

if TYPE_CHECKING:
    from collections.abc import Sequence

BATCH = 200


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
    tried: set[int] = set()

    def step() -> int:
        ids = [
            pk
            for pk in waiting(channel, account).order_by("id").values_list("pk", flat=True)[:BATCH]
            if pk not in tried
        ]
        for pk in ids:
            tried.add(pk)
            deliver(pk)
        return len(ids)

    return drain.alone(_name(channel, account), step, lambda: waiting(channel, account).exists())
