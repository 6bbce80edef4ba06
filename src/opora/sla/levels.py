"""Moving a ticket between support levels (lines 1-3 and the team lead)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opora.accounts.models import User
from opora.core import clock as wall_clock
from opora.core.bulk import update_rows
from opora.sla.clock import move_level
from opora.sla.models import TicketSla
from opora.tickets import clock
from opora.tickets import events as ev
from opora.tickets.models import Ticket

_LEVEL_FIELDS = (
    "level",
    "level_since",
    "escalations",
    "line1_seconds",
    "line2_seconds",
    "line3_seconds",
    "lead_seconds",
)


@transaction.atomic
def set_support_level(
    ticket: Ticket,
    *,
    level: str,
    by: User | None,
    reason: str,
    assignee: User | None = None,
    extra: dict[str, Any] | None = None,
) -> Ticket:
    """Move a ticket to line "1", "2", "3" or to the team "lead", with a reason.

    The lead level keeps the ticket's line and hands it to the lead (`assignee`).
    Precondition: `level` is one of `clock.LEVELS` (the callers check it).
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = wall_clock.now()
    # The time on the current level is accounted up to now before the move.
    clock.refresh(ticket, now)
    sla = TicketSla.objects.get(ticket=ticket)
    previous = sla.level
    if level == previous:
        return ticket
    fields = ["updated_at"]
    if level != "lead":
        ticket.line = int(level)
        fields.append("line")
    if assignee is not None and assignee.pk != ticket.assignee_id:
        previous_assignee = ticket.assignee_id
        ticket.assignee = assignee
        ev.ticket_assigned_event(ticket=ticket, by=by, previous=previous_assignee)
        fields.append("assignee")
    move_level(sla, level, now)
    update_rows(TicketSla, [sla], _LEVEL_FIELDS)
    ev.ticket_line_changed_event(
        ticket=ticket, by=by, previous=previous, new=level, reason=reason, extra=extra
    )
    ticket.updated_at = now
    ticket.save(update_fields=fields + clock.refresh(ticket, now))
    return ticket
