"""Reads of the SLA clock, shared by the API and the agent workspace."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.sla.errors import BAD_SIGNATURE
from opora.sla.models import SlaState, TicketSla
from opora.sla.webhooks import verify
from opora.tickets.models import Ticket, TimeEntry
from opora.tickets.selectors import access_ticket


def access_desk_ticket(user: User, number: int) -> Ticket:
    """A ticket whose SLA clock, escalations, time log and hand-off the user may work with.

    Agents only: a customer gets 404 even for their own ticket, as these are the
    desk's internals, not a refusal worth explaining.
    """
    ticket = access_ticket(user, number)
    if not user.is_agent:
        raise NotFound(gettext("ticket"))
    return ticket


def verify_dev_callback(*, timestamp: str, signature: str, body: bytes) -> None:
    """Only development's own callbacks, signed with the shared secret, are accepted."""
    if not verify(settings.DEV_WEBHOOK_SECRET, timestamp, signature, body, now=time.time()):
        raise Forbidden(BAD_SIGNATURE, gettext("The signature is missing or wrong."))


def ticket_sla(ticket: Ticket) -> TicketSla:
    """The ticket's SLA row in one query; an unsaved "on track" one if it has none yet."""
    sla = TicketSla.objects.select_related("policy").filter(ticket=ticket).first()
    if sla is None:
        sla = TicketSla(ticket=ticket, level=str(ticket.line))
    return sla


@dataclass(frozen=True)
class Target:
    label: str | Promise
    due_at: datetime
    met: bool
    # The due moment passed while the target was unmet (for good, see sla.clock).
    breached: bool = False
    # The clock of this target no longer runs (answered, solved, or paused).
    settled: bool = False

    @property
    def verdict(self) -> str:
        """ "missed", "met", or "" while it still runs (the page shows a countdown)."""
        if self.breached and (self.met or self.settled):
            return "missed"
        return "met" if self.met else ""


def sla_targets(ticket: Ticket, sla: TicketSla) -> list[Target]:
    """The due times an agent watches on the ticket page, in the order they fall due.

    A breached target says so whatever came later (a solve, a reopen), as the
    breach flags of the SLA row and the on-time rate do."""
    targets = []
    stopped = ticket.status in ("solved", "closed")
    settled = stopped or sla.paused
    if ticket.first_response_due_at:
        answered = ticket.first_response_at is not None
        targets.append(
            Target(
                _("First response"),
                ticket.first_response_due_at,
                answered,
                bool(sla.first_response_breached),
                settled,
            )
        )
    if sla.next_response_due_at and ticket.first_response_at is not None:
        targets.append(Target(_("Next response"), sla.next_response_due_at, False))
    if ticket.resolution_due_at:
        targets.append(
            Target(
                _("Resolution"),
                ticket.resolution_due_at,
                stopped,
                bool(sla.resolution_breached),
                settled,
            )
        )
    return targets


def sla_state(sla: TicketSla) -> str:
    """A breach shows whatever came later; otherwise a paused clock shows as paused."""
    if sla.first_response_breached or sla.resolution_breached:
        return str(SlaState.BREACHED)
    return str(SlaState.PAUSED) if sla.paused else str(sla.state)


def entry_cost(entry: TimeEntry) -> Decimal:
    """What a time entry cost at its agent's rate when it was logged, to the cent."""
    return (entry.rate_per_hour * entry.minutes / 60).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class TimeLog:
    entries: list[TimeEntry]
    total_minutes: int
    # The sum of the entries' rounded costs, so that the listed costs add up to it.
    total_cost: Decimal
    running: bool


def time_log(ticket: Ticket) -> TimeLog:
    """The time logged on a ticket, oldest first, with its totals (one query)."""
    entries = list(TimeEntry.objects.filter(ticket=ticket).order_by("created_at", "id"))
    return TimeLog(
        entries=entries,
        total_minutes=sum(e.minutes for e in entries),
        total_cost=sum((entry_cost(e) for e in entries), Decimal("0.00")),
        running=any(e.started_at and not e.stopped_at for e in entries),
    )
