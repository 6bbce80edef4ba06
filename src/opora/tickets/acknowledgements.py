"""Who acknowledges a new request: the channel's generic "request received" notice,
unless a domain above answers it with an acknowledgement of its own.

A complaint gets the complaint care's acknowledgement with its deadline
(`complaints/`); the channel layer (`inbox/`), which queues the generic notice in the
opening transaction, must not send a second one. Neither app knows the other: the
domain registers a reader at start (`register_own_acknowledgement`), and the channel
layer asks `acknowledged_elsewhere` before it queues its notice.
"""

from __future__ import annotations

from collections.abc import Callable

from opora.tickets.models import Ticket

# A reader of the new tickets (one batch) that its domain acknowledges itself: their ids.
OwnAcknowledgement = Callable[[list[Ticket]], set[int]]
_readers: list[OwnAcknowledgement] = []


def register_own_acknowledgement(reader: OwnAcknowledgement) -> None:
    if reader not in _readers:  # ready() may run twice in tests
        _readers.append(reader)


def acknowledged_elsewhere(tickets: list[Ticket]) -> set[int]:
    """Ids of the new tickets that a domain acknowledges itself: no generic notice."""
    if not tickets:
        return set()
    found: set[int] = set()
    for reader in _readers:
        found |= reader(tickets)
    return found
