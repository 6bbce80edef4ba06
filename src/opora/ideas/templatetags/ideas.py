"""`{% idea_card ticket %}`: the ticket page's Ideas card for a suggestion — the idea
it is merged into, or the similar ideas found for it with one-click merge, and
"New idea from this suggestion"."""

from __future__ import annotations

from typing import Any

from django import template

from opora.ideas.selectors import idea_of_ticket, is_suggestion, similar_ideas

register = template.Library()


@register.inclusion_tag("ideas/_ticket_card.html", takes_context=True)
def idea_card(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    shown = is_suggestion(ticket)
    merged = idea_of_ticket(ticket) if shown else None
    return {
        "shown": shown,
        "ticket": ticket,
        "merged": merged,
        "similar": similar_ideas(ticket) if shown and merged is None else [],
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
