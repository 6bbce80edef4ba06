"""Domain events: how a lower app tells the apps above it that something happened.

An action publishes plain event objects (`tickets/domain_events.py` has the ticket
ones); apps that care subscribe a handler in their `AppConfig.ready()`. The publisher
imports no subscriber, so dependencies point one way: tickets knows no one above it.

Two moments, chosen by the subscriber:
- `AFTER_COMMIT` (the default): the handler runs once the publishing transaction has
  committed (at once outside a transaction), in a transaction of its own; a rolled-back
  change publishes nothing. Queueing jobs, asking the answer bot, notices.
- `IN_TRANSACTION`: the handler runs inside the publishing transaction, under its locks,
  and its writes commit or roll back with the change. Only for writes that belong to
  the change itself, such as queueing a reply in a channel's durable outbox.

Handlers take a list of events of one kind: a batch of one is a batch, and a bulk
action publishes one list, so a handler does its reads once for all of them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger("opora.dispatch")

E = TypeVar("E")
Handler = Callable[[list[Any]], None]


class Moment(Enum):
    IN_TRANSACTION = "in_transaction"
    AFTER_COMMIT = "after_commit"


IN_TRANSACTION = Moment.IN_TRANSACTION
AFTER_COMMIT = Moment.AFTER_COMMIT

_handlers: dict[tuple[type, Moment], list[Handler]] = defaultdict(list)


def subscribe(
    kind: type[E], handler: Callable[[list[E]], None], *, moment: Moment = AFTER_COMMIT
) -> None:
    """Call `handler(events)` with the events of `kind` each action publishes."""
    found = _handlers[(kind, moment)]
    if handler not in found:  # ready() may run twice in tests; subscribe once
        found.append(handler)


def publish(events: Sequence[object]) -> None:
    """Hand events to their subscribers: now (in-transaction ones), then after commit."""
    by_kind: dict[type, list[object]] = defaultdict(list)
    for event in events:
        by_kind[type(event)].append(event)
    for kind, group in by_kind.items():
        for handler in _handlers.get((kind, IN_TRANSACTION), ()):
            handler(group)
        for handler in _handlers.get((kind, AFTER_COMMIT), ()):
            _after_commit(handler, group)


def _after_commit(handler: Handler, group: list[object]) -> None:
    def call() -> None:
        # Each handler in its own transaction: one that fails leaves the others alone
        # (and, with robust=True, is logged rather than raised to the publisher).
        with transaction.atomic():
            handler(group)

    call.__qualname__ = getattr(handler, "__qualname__", repr(handler))
    # Registered per publish: a rolled-back savepoint drops its own callbacks only.
    transaction.on_commit(call, robust=True)
