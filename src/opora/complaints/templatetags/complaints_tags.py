"""`{% complaint_card ticket %}`: the ticket page's complaint card (the detector's
confidence on any ticket; for a complaint its deadline, escalation and resolution
form)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from opora.accounts.models import Role, User
from opora.complaints.selectors import root_causes, view_of
from opora.core import clock
from opora.tickets.models import TicketStatus

register = template.Library()


@register.inclusion_tag("complaints/_ticket_card.html", takes_context=True)
def complaint_card(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    view = view_of(ticket)
    card = context.get("complaint_card") or {}
    language = translation.get_language() or "en"
    complaint = view.complaint
    open_ = ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED)
    may_resolve = complaint is not None and open_ and complaint.resolved_at is None
    return {
        "ticket": ticket,
        "view": view,
        "complaint": complaint,
        "percent": round(view.confidence * 100),
        # The form's choices, read only when the form is shown.
        "causes": [(c.key, c.name(language)) for c in root_causes()] if may_resolve else [],
        "cause_name": complaint.root_cause.name(language)
        if complaint is not None and complaint.root_cause is not None
        else "",
        "agents": list(
            User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
            .order_by("name", "email")
            .values("id", "name", "email")[:500]
        )
        if may_resolve
        else [],
        "may_resolve": may_resolve,
        "now": clock.now(),
        "error": card.get("error", ""),
        "field": card.get("field", ""),
        "values": card.get("values", {}),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
