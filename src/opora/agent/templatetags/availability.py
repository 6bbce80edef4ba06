"""`{% presence_switch %}`: the agent's presence switch in the workspace navigation."""

from __future__ import annotations

from typing import Any

from django import template

from opora.accounts.models import User
from opora.chat.models import PresenceStatus
from opora.chat.selectors import presence_status

register = template.Library()


@register.inclusion_tag("agent/_presence_switch.html", takes_context=True)
def presence_switch(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not isinstance(user, User) or not user.is_agent:
        return {"show": False}
    return {
        "show": True,
        "request": request,
        "status": presence_status(user),
        "choices": PresenceStatus.choices,
    }
