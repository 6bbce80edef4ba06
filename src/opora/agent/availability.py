"""The agent's presence switch in the workspace's navigation: online, away, offline.

One presence per agent (`chat.models.AgentPresence`): the live chat offers chats by it
and ticket routing assigns by it, so the switch here, the chat page's own control and
`PUT /api/v1/me/presence` all set the same row (`chat.actions.set_presence`). Every
workspace page sends a heartbeat (`static/opora/presence.js`, every 25 s) with how long
the agent has been idle in all their tabs: it counts as being seen (one throttled
write), and an agent idle for `OPORA_PRESENCE_IDLE_MINUTES` goes away. Nobody heard
from for `OPORA_CHAT_PRESENCE_GRACE_SECONDS` (every tab closed) goes offline
(`chat.routing.expire_presence`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opora.chat import errors
from opora.chat.actions import presence_heartbeat, set_presence
from opora.chat.models import AgentPresence, PresenceStatus
from opora.core.errors import OporaError, ValidationFailed
from opora.pages import agent_required, current_user, safe_next

# Idle longer than a week is idle: larger numbers are taken as this.
MAX_IDLE_SECONDS = 7 * 24 * 3600


def presence_state(presence: AgentPresence) -> dict[str, object]:
    return {"status": presence.status, "label": str(PresenceStatus(presence.status).label)}


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refused(exc: OporaError) -> JsonResponse:
    errors_ = [{"field": exc.field, "code": exc.code, "message": exc.message}]
    body = {"detail": exc.message, "code": exc.code, "errors": errors_ if exc.field else []}
    return JsonResponse(body, status=exc.status)


@require_POST
@agent_required
def switch(request: HttpRequest) -> HttpResponse:
    """The navigation's switch: JSON for the page's script, a redirect back without it."""
    user = current_user(request)
    back = safe_next(request, reverse("agent:queue"))
    try:
        presence = set_presence(user, request.POST.get("status", ""), via="nav")
    except OporaError as exc:
        if _wants_json(request):
            return _refused(exc)
        messages.error(request, exc.message)
        return redirect(back)
    if _wants_json(request):
        return JsonResponse(presence_state(presence))
    return redirect(back)


def _idle_seconds(raw: str) -> int:
    try:
        idle = int(raw)
    except ValueError:
        idle = -1
    if idle < 0:
        raise ValidationFailed(
            errors.INVALID_IDLE, _("Idle time is a whole number of seconds."), field="idle"
        )
    return min(idle, MAX_IDLE_SECONDS)


@require_POST
@agent_required
def heartbeat(request: HttpRequest) -> HttpResponse:
    """A page is open: the agent is seen; idle too long, they go away. Answers the
    presence now, so every tab shows what another tab (or the desk) chose."""
    user = current_user(request)
    try:
        idle = _idle_seconds(request.POST.get("idle", ""))
    except OporaError as exc:
        return _refused(exc)
    return JsonResponse(presence_state(presence_heartbeat(user, idle_seconds=idle)))
