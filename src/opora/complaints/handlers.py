"""How complaints react to ticket changes (subscribed in `ComplaintsConfig.ready()`)."""

from __future__ import annotations

from opora.complaints import actions
from opora.complaints.selectors import first_texts
from opora.tickets.domain_events import TicketChanged, TicketOpened
from opora.tickets.models import TicketStatus


def take_in_opened(events: list[TicketOpened]) -> None:
    """New requests that are complaints (by their type or their words) get the
    complaint care at once. After commit: a fault here never costs the request."""
    actions.take_in_new([e.ticket for e in events])


def follow_retyping(events: list[TicketChanged]) -> None:
    """An agent (or a trigger) re-typed a ticket: to a complaint, it gets the care; away
    from one, its complaint is dismissed."""
    changed = [e for e in events if "type" in e.fields]
    if not changed:
        return
    texts = first_texts([e.ticket for e in changed])
    for event in changed:
        actions.follow_type(event.ticket, text=texts.get(event.ticket.pk, ""), by=event.by)


def refuse_unresolved_solving(events: list[TicketChanged]) -> None:
    """In the solving transaction: a person solving a complaint without its root cause
    and verdict is refused, and the whole change with it."""
    for event in events:
        if "status" in event.fields and event.ticket.status == TicketStatus.SOLVED:
            actions.require_resolution(event.ticket, event.by)
