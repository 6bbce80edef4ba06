"""The ticket's clock: where the ticket actions get their due dates from.

Due dates are part of a change, not a reaction to it: a reply, a pause or a solve moves
them in the same commit, under the same lock, so the ticket never shows a due date that
disagrees with its status. The rules behind them (policies, business hours) belong to
the sla app, which builds on tickets; so tickets defines this small interface and the
sla app plugs its clock in (`register`, from its `AppConfig.ready()`). With no clock
registered, tickets have no due dates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from opora.tickets.models import Ticket

# (created_at, author id) of a ticket's latest public message.
LastPublic = Mapping[int, tuple[datetime, int | None]]


class Clock(Protocol):
    def start(self, tickets: Sequence[Ticket]) -> Callable[[], None]:
        """Set the due dates of new tickets (unsaved, numbered); returns what writes
        the clock's own rows once the tickets are inserted."""
        ...

    def recompute(
        self,
        tickets: Sequence[Ticket],
        *,
        at: Mapping[int, datetime],
        time_logged: bool = True,
        last_public: LastPublic | None = None,
    ) -> dict[int, list[str]]:
        """Recompute the clocks of changed tickets as of `at[ticket id]`; returns the
        Ticket fields each one changed (the caller saves the tickets).

        Preconditions: the tickets are locked and their events written.
        `time_logged=False`: the change did not touch logged time. `last_public`: the
        latest public messages, when the caller just wrote them."""
        ...


class _NoClock:
    def start(self, tickets: Sequence[Ticket]) -> Callable[[], None]:
        return lambda: None

    def recompute(
        self,
        tickets: Sequence[Ticket],
        *,
        at: Mapping[int, datetime],
        time_logged: bool = True,
        last_public: LastPublic | None = None,
    ) -> dict[int, list[str]]:
        return {t.pk: [] for t in tickets}


_clock: Clock = _NoClock()


def register(clock: Clock) -> None:
    global _clock  # one clock per process, set once at start-up
    _clock = clock


def clock() -> Clock:
    return _clock


def refresh(ticket: Ticket, now: datetime, *, time_logged: bool = True) -> list[str]:
    """Recompute one locked ticket's clock; returns the Ticket fields it changed."""
    return _clock.recompute([ticket], at={ticket.pk: now}, time_logged=time_logged)[ticket.pk]
