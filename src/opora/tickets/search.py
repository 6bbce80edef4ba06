"""Ticket search for a person: what they find is limited to the tickets they may see."""

from __future__ import annotations

from dataclasses import dataclass

from opora.accounts.models import User
from opora.search import service
from opora.search.models import Scope
from opora.tickets.models import Ticket
from opora.tickets.selectors import visible_tickets


@dataclass(frozen=True)
class TicketHit:
    ticket: Ticket
    message_id: int | None  # the matching message, when the match is not the subject
    snippet: str
    score: float


def search_tickets(user: User, q: str, *, limit: int = 20) -> list[TicketHit]:
    """Tickets whose subject or messages match `q`, best first, internal notes included.

    Precondition: the user is an agent.
    """
    visible = visible_tickets(user)
    # An admin sees every ticket: no restriction keeps the engine's query simple.
    # (Unordered: the engine only checks membership; a sort here would sort them all.)
    scope = None if user.is_admin else visible.order_by().values("id").query.sql_with_params()
    hits = service.search_tickets(
        q, visible_tickets_sql=scope, include_internal_notes=True, limit=limit
    )
    tickets = {t.pk: t for t in visible.filter(pk__in={h.ticket_id for h in hits})}
    return [
        TicketHit(
            ticket=tickets[hit.ticket_id],
            message_id=hit.object_id if hit.scope == Scope.MESSAGE else None,
            snippet=hit.snippet,
            score=hit.score,
        )
        for hit in hits
        # Only tickets the user may see, whatever the index holds.
        if hit.ticket_id is not None and hit.ticket_id in tickets
    ]
