"""`{% phone_calls ticket %}`: the ticket page's calls card (calls with their outcome,
duration and recording, the call-back due, "Log a call")."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.utils.html import json_script
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from opora.core import clock
from opora.telephony.intake import duration_text
from opora.telephony.models import Direction, Outcome
from opora.telephony.selectors import calls_of, open_callback_count

register = template.Library()


@register.inclusion_tag("telephony/_ticket_calls.html", takes_context=True)
def phone_calls(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    calls = calls_of(ticket)
    callbacks = [c for c in calls if c.callback_due_at is not None and c.callback_done_at is None]
    requester = ticket.requester
    return {
        "ticket": ticket,
        "calls": calls,
        "callback": min(callbacks, key=lambda c: c.callback_due_at or clock.now())
        if callbacks
        else None,
        "now": context.get("now") or clock.now(),
        "csrf_token": context.get("csrf_token"),
        "directions": Direction.choices,
        "outcomes": Outcome.choices,
        "number": getattr(requester, "phone", "") or "",
        "request": context.get("request"),
    }


@register.filter
def call_duration(seconds: int) -> str:
    return duration_text(int(seconds or 0))


@register.inclusion_tag("telephony/_queue_callbacks.html", takes_context=True)
def callback_view(context: dict[str, Any]) -> dict[str, Any]:
    """The queue's sidebar entry "Call back", with how many wait."""
    user = context.get("user")
    count = open_callback_count(user) if user is not None and user.is_agent else 0
    return {"count": count}


@register.simple_tag
def phone_card_config() -> str:
    """The caller card's texts, in the page's language, for phone-card.js (the same on
    every page of a language: written once per language and process)."""
    return _card_config(get_language())


@cache
def _card_config(language: str) -> str:
    texts = {
        "incoming": _("Incoming call"),
        "answered": _("Answered by {name}"),
        "open": _("Open ticket"),
        "customer": _("Customer card"),
        "others": _("Open tickets"),
        "none": _("No other open tickets"),
        "close": _("Close"),
        "ended": _("Call ended"),
    }
    return json_script({"texts": texts}, "phone-card-config")
