"""Time tracking on tickets: manual entries and a start/stop timer, at the agent's rate.

Part of the ticket actions (re-exported by `tickets.actions`): each entry writes an
Event and refreshes the SLA row that carries time and cost totals for the reports.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core import clock as wall_clock
from opora.core.errors import Forbidden, ValidationFailed
from opora.tickets import clock, errors
from opora.tickets import events as ev
from opora.tickets.models import Ticket, TicketStatus, TimeEntry

MAX_ENTRY_MINUTES = 24 * 60


def _time_entry_ticket(ticket: Ticket, by: User) -> Ticket:
    if not by.is_agent:
        raise Forbidden(
            errors.AGENTS_ONLY,
            _("Only agents may change %(field)s.") % {"field": "time"},
            field="time",
        )
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed(
            errors.TICKET_CLOSED, _("A closed ticket cannot be changed."), field="ticket"
        )
    return ticket


def _time_changed(ticket: Ticket) -> None:
    # The SLA row carries the ticket's time and cost totals for the reports.
    fields = clock.refresh(ticket, wall_clock.now())
    if fields:
        ticket.save(update_fields=fields)


@transaction.atomic
def log_time(ticket: Ticket, *, by: User, minutes: int, note: str = "") -> TimeEntry:
    """A manual time entry of the agent's work on the ticket, at their current rate."""
    ticket = _time_entry_ticket(ticket, by)
    if not 1 <= minutes <= MAX_ENTRY_MINUTES:
        raise ValidationFailed(
            errors.INVALID_CHOICE,
            _("Minutes must be between 1 and %(max)s.") % {"max": MAX_ENTRY_MINUTES},
            field="minutes",
        )
    entry = TimeEntry.objects.create(
        ticket=ticket,
        agent=by,
        minutes=minutes,
        note=note[:255],
        rate_per_hour=by.cost_per_hour,
        created_at=wall_clock.now(),
    )
    ev.time_logged_event(ticket=ticket, by=by, minutes=minutes, entry_id=entry.pk)
    _time_changed(ticket)
    return entry


@transaction.atomic
def start_timer(ticket: Ticket, *, by: User, note: str = "") -> TimeEntry:
    """Start the agent's timer on the ticket (the running one if already started)."""
    ticket = _time_entry_ticket(ticket, by)
    running = TimeEntry.objects.filter(
        ticket=ticket, agent=by, started_at__isnull=False, stopped_at__isnull=True
    ).first()
    if running is not None:
        return running
    return TimeEntry.objects.create(
        ticket=ticket,
        agent=by,
        started_at=wall_clock.now(),
        created_at=wall_clock.now(),
        note=note[:255],
        rate_per_hour=by.cost_per_hour,
    )


@transaction.atomic
def stop_timer(ticket: Ticket, *, by: User) -> TimeEntry:
    """Stop the agent's running timer; the entry gets the elapsed minutes (at least 1)."""
    ticket = _time_entry_ticket(ticket, by)
    entry = (
        TimeEntry.objects.select_for_update()
        .filter(ticket=ticket, agent=by, started_at__isnull=False, stopped_at__isnull=True)
        .first()
    )
    if entry is None:
        raise ValidationFailed(errors.NO_TIMER, _("No timer is running."), field="timer")
    assert entry.started_at is not None
    entry.stopped_at = wall_clock.now()
    seconds = (entry.stopped_at - entry.started_at).total_seconds()
    entry.minutes = min(MAX_ENTRY_MINUTES, max(1, round(seconds / 60)))
    entry.save(update_fields=["stopped_at", "minutes"])
    ev.time_logged_event(ticket=ticket, by=by, minutes=entry.minutes, entry_id=entry.pk)
    _time_changed(ticket)
    return entry
