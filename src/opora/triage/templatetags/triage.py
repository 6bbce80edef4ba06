"""`{% triage_suggestion ticket %}`: the suggestion card on the agent's ticket page,
with "Apply", which posts the suggested values to the page's own Properties form (the
ticket's tags plus the suggested ones missing from it: the form's tags replace them)."""

from __future__ import annotations

from typing import Any

from django import template

from opora.tickets.models import Priority, Ticket, TicketStatus, TicketType
from opora.triage.models import TicketSuggestion

register = template.Library()


def _percent(value: float) -> int:
    return round(value * 100)


@register.inclusion_tag("triage/_suggestion.html", takes_context=True)
def triage_suggestion(context: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
    found = TicketSuggestion.objects.filter(ticket_id=ticket.pk).select_related("team").first()
    shown: dict[str, Any] = {
        "csrf_token": context.get("csrf_token"),
        "ticket": ticket,
        "items": [],
    }
    if found is None or ticket.status == TicketStatus.CLOSED:
        return shown
    items = []
    if found.team is not None:
        items.append(
            {
                "field": "team",
                "value": found.team.pk,
                "label": found.team.name,
                "percent": _percent(found.team_confidence),
                "differs": found.team_id != ticket.team_id,
            }
        )
    if found.type:
        items.append(
            {
                "field": "type",
                "value": found.type,
                "label": TicketType(found.type).label,
                "percent": _percent(found.type_confidence),
                "differs": found.type != ticket.type,
            }
        )
    if found.priority:
        priority = Priority(found.priority)
        items.append(
            {
                "field": "priority",
                "value": priority.code,
                "label": priority.label,
                "percent": _percent(found.priority_confidence),
                "differs": found.priority != ticket.priority,
            }
        )
    current_tags = [tag.name for tag in ticket.tags.all()]
    items.extend(
        {
            "field": "tags",
            "value": tag["name"],
            "label": f"#{tag['name']}",
            "percent": _percent(tag["confidence"]),
            "differs": tag["name"] not in current_tags,
        }
        for tag in found.tags
    )
    for item in items:
        item["applied"] = item["field"] in found.applied and not item["differs"]
    shown["items"] = items
    shown["pending"] = [i for i in items if i["differs"] and i["field"] != "tags"]
    missing = [str(i["value"]) for i in items if i["differs"] and i["field"] == "tags"]
    shown["apply_tags"] = " ".join(current_tags + missing) if missing else None
    return shown
