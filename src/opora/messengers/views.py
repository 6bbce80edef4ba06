"""Webhooks of the messengers: `POST /channels/telegram/<bot id>/webhook`.

Telegram presents the bot's secret in `X-Telegram-Bot-Api-Secret-Token` (set with
setWebhook); a request without the right one is refused with 403 before its body is
read, and stores nothing. The body is bounded in size and depth before it is parsed.
Any 2xx tells Telegram the update arrived; a 4xx or 5xx makes it retry, which the
de-duplication of updates makes harmless. An accepted update is stored as it came and
answered at once; the drain job takes it in with the others waiting (`drain.py`).
Behind `opora serve`, the usual update does not reach this view: it is answered in the
event loop and stored together with others (`webhooks.py`); this view answers the rest.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opora.core import jsonin, rows
from opora.messengers import errors, webhooks
from opora.messengers.models import BotMode, TelegramBot
from opora.messengers.telegram import intake, reading

logger = logging.getLogger("opora.messengers.telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
SECRET_META = "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"  # noqa: S105 - the same, in META
# An update with a long text and its entities is a few tens of kilobytes.
MAX_UPDATE_BYTES = 1024 * 1024


def _refusal(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {
            "detail": message,
            "code": code,
            "errors": [{"field": None, "code": code, "message": message}],
        },
        status=status,
    )


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, bot_id: int) -> HttpResponse:
    # A fixed statement, not a query object: this runs for every update (`core/rows.py`).
    found = rows.values_of(TelegramBot, bot_id, webhooks.TELEGRAM_FIELDS)
    given = request.META.get(SECRET_META, "")
    if webhooks.telegram_refusal(found, given):
        logger.warning("telegram webhook %s: refused, wrong secret", bot_id)
        return _refusal(403, errors.WRONG_SECRET, _("Wrong secret token."))
    assert found is not None
    _secret, active, mode = found
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_UPDATE_BYTES:
        return _refusal(413, errors.TOO_LARGE, _("The update is too large."))
    body = request.read(MAX_UPDATE_BYTES + 1)
    if len(body) > MAX_UPDATE_BYTES:
        return _refusal(413, errors.TOO_LARGE, _("The update is too large."))
    try:
        data = jsonin.loads(body)
    except jsonin.BadJson:
        return _refusal(400, errors.BAD_UPDATE, _("The update is not valid JSON."))
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not webhooks.is_update_id(update_id):
        return _refusal(400, errors.BAD_UPDATE, _("The update has no update_id."))
    if not active or mode != BotMode.WEBHOOK:
        logger.info(
            "telegram bot %s: update %s ignored, the bot is off or polls", bot_id, update_id
        )
        return JsonResponse({"ok": True, "outcome": intake.IGNORED})
    # Only messages are read: an update of another kind is kept as it is (the drain
    # logs and ignores it), never refused for the parts the desk does not use.
    try:
        reading.message_of(data)
    except reading.BadUpdate:
        logger.info("telegram bot %s: update %s could not be read", bot_id, update_id)
        return _refusal(400, errors.BAD_UPDATE, _("The update could not be read."))
    # Stored as `opora serve` stores a group of them (`webhooks.py`), alone here.
    post = webhooks.TelegramPost(bot_id=bot_id, secret=given, update_id=update_id, data=data)
    [outcome] = webhooks.store([post], known={("telegram", bot_id): found})
    return JsonResponse({"ok": True, "outcome": outcome})
