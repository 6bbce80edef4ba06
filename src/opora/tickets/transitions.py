"""The small writes several ticket actions share: a status move, tags.

Each one changes a locked (or just created) ticket in memory, records its audit event
and returns the fields the caller saves; none saves the ticket itself.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.dispatch import publish
from opora.core.errors import ValidationFailed
from opora.tickets import errors
from opora.tickets import events as ev
from opora.tickets.domain_events import TicketSolved
from opora.tickets.models import ALLOWED_TRANSITIONS, Tag, Ticket, TicketStatus


def move_status(ticket: Ticket, new: str, *, by: User | None, now: datetime) -> list[str]:
    """Set a new status on a locked ticket; returns the fields to save."""
    previous = ticket.status
    if new == previous:
        return []
    if new not in TicketStatus.values:
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("Unknown status “%(value)s”.") % {"value": new}, field="status"
        )
    if new not in ALLOWED_TRANSITIONS[previous]:
        raise ValidationFailed(
            errors.INVALID_TRANSITION,
            _("A ticket cannot go from “%(old)s” to “%(new)s”.") % {"old": previous, "new": new},
            field="status",
        )
    ticket.status = new
    fields = ["status"]
    if new == TicketStatus.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
        publish([TicketSolved(ticket)])
    elif new == TicketStatus.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif previous == TicketStatus.SOLVED:  # reopened
        ticket.solved_at = None
        fields.append("solved_at")
    ev.ticket_status_changed_event(ticket=ticket, by=by, previous=previous, at=now)
    return fields


def set_tags(ticket: Ticket, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    ticket.tags.set([existing[n] for n in names])


def tag_names(ticket: Ticket) -> list[str]:
    return list(ticket.tags.order_by("name").values_list("name", flat=True))


def add_tags_by_channel(ticket: Ticket, names: list[str]) -> None:
    """Tags a channel puts on a ticket it opened (e.g. needs-review), with their event."""
    previous = tag_names(ticket)
    current = sorted(set(previous) | set(names))
    if current != previous:
        set_tags(ticket, current)
        ev.ticket_tags_changed_event(ticket=ticket, by=None, previous=previous, current=current)
