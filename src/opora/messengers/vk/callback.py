"""The Callback API of a VK community: `POST /channels/vk/<community id>/callback`.

VK posts each event as JSON. `confirmation` (when the address is connected in the
community's settings) is answered with the community's confirmation string; every other
event carries the secret key set there, compared in constant time: a wrong or missing
one gets 403 and stores nothing. The body is bounded in size and depth before it is
read. An accepted event is stored once per event_id (VK sends it again when the "ok"
is late) and answered "ok" at once; the drain job takes it in with the others waiting
(`intake.take_many`, `drain.py`). Behind `opora serve`, the usual event does not reach
this view: it is answered in the event loop and stored together with others
(`webhooks.py`); this view answers the rest.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opora.core import jsonin, rows
from opora.messengers import errors, webhooks
from opora.messengers.models import VkCommunity

logger = logging.getLogger("opora.messengers.vk")
# An event with a long text and its attachments' descriptions is a few tens of kilobytes.
MAX_EVENT_BYTES = 1024 * 1024


def _refusal(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {
            "detail": message,
            "code": code,
            "errors": [{"field": None, "code": code, "message": message}],
        },
        status=status,
    )


def _plain(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def _body(request: HttpRequest) -> bytes | None:
    """The request's body, None when it is over the limit."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_EVENT_BYTES:
        return None
    body = request.read(MAX_EVENT_BYTES + 1)
    return None if len(body) > MAX_EVENT_BYTES else body


@csrf_exempt
@require_POST
def vk_callback(request: HttpRequest, community_id: int) -> HttpResponse:
    # A fixed statement, not a query object: this runs for every event (`core/rows.py`).
    community = rows.values_of(VkCommunity, community_id, webhooks.VK_FIELDS)
    body = _body(request)
    if body is None:
        return _refusal(413, errors.TOO_LARGE, _("The event is too large."))
    try:
        data = jsonin.loads(body)
    except jsonin.BadJson:
        return _refusal(400, errors.BAD_UPDATE, _("The event is not valid JSON."))
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return _refusal(400, errors.BAD_UPDATE, _("The event has no type."))
    kind = data["type"][:40]
    group_id = data.get("group_id")
    group, _secret_key, confirmation, active = community or (None, "", "", False)
    if kind == "confirmation":
        if community is None or group_id != group:
            logger.warning("vk callback %s: confirmation for another community", community_id)
            return _refusal(400, errors.WRONG_GROUP, _("This address is for another community."))
        if not confirmation:
            return _refusal(
                400, errors.NOT_CONFIRMABLE, _("Enter the confirmation string on the desk first.")
            )
        return _plain(confirmation)
    secret = data.get("secret")
    given = secret if isinstance(secret, str) else ""
    if webhooks.vk_refusal(community, given):
        logger.warning("vk callback %s: refused, wrong secret", community_id)
        return _refusal(403, errors.WRONG_SECRET, _("Wrong secret key."))
    if group_id != group:
        return _refusal(400, errors.WRONG_GROUP, _("This address is for another community."))
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        return _refusal(400, errors.BAD_UPDATE, _("The event has no event_id."))
    if not active:
        logger.info("vk community %s: event %s ignored, turned off", community_id, kind)
        return _plain("ok")
    data.pop("secret", None)  # never kept
    post = webhooks.VkPost(
        community_id=community_id,
        secret=given,
        group_id=group_id,
        event_id=event_id,
        kind=kind,
        data=data,
    )
    # Stored as `opora serve` stores a group of them (`webhooks.py`), alone here.
    webhooks.store([post], known={("vk", community_id): community})
    return _plain("ok")
