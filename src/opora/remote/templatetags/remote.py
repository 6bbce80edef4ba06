"""`{% remote_sessions ticket %}`: the remote-session card on the agent's ticket page:
the ticket's sessions with "Session started" / "Session ended", and the invitation
form. Nothing is shown while the desk has no active tool and the ticket no session."""

from __future__ import annotations

from typing import Any

from django import template

from opora.remote.selectors import active_tools, ticket_sessions
from opora.tickets.models import Ticket, TicketStatus

register = template.Library()


@register.inclusion_tag("remote/_sessions.html", takes_context=True)
def remote_sessions(context: Any, ticket: Ticket) -> dict[str, Any]:
    card = context.get("remote_card") or {}
    return {
        "csrf_token": context.get("csrf_token"),
        "ticket": ticket,
        "open": ticket.status != TicketStatus.CLOSED,
        "tools": list(active_tools()),
        "sessions": list(ticket_sessions(ticket)),
        "card": card,
        "values": card.get("values", {}),
    }
