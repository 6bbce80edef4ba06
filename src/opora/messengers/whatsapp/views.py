"""WhatsApp's webhook: `/channels/whatsapp/<number id>/webhook`.

- `GET`: Meta's verification handshake when the webhook is subscribed: with
  `hub.mode=subscribe` and the number's verify token, the answer is `hub.challenge`;
  anything else gets 403.
- `POST`: each notification is signed: `X-Hub-Signature-256: sha256=<HMAC-SHA256 of
  the raw body with the app secret>`. A request without the right signature is refused
  with 403 and stores nothing; the comparison takes the same time whatever it meets.
  The body is bounded in size before it is read. Its messages and statuses are stored
  as they came and the drain takes them in after the answer (`intake.keep`); the
  answer counts what was queued, what was stored before and what was ignored. Any 2xx
  tells Meta it arrived; a 4xx or 5xx makes it retry, which the de-duplication of
  messages and statuses makes harmless. Behind `opora serve`, the usual signed POST
  does not reach this view: it is answered in the event loop and stored together with
  others (`webhooks.py`); this view answers the rest.
"""

from __future__ import annotations

import hmac
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from opora.core import jsonin
from opora.messengers import errors
from opora.messengers.models import WhatsAppNumber
from opora.messengers.views import MAX_UPDATE_BYTES, _refusal
from opora.messengers.webhooks import whatsapp_refusal
from opora.messengers.whatsapp import intake

logger = logging.getLogger("opora.messengers.whatsapp")
SIGNATURE_HEADER = "X-Hub-Signature-256"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest, number_id: int) -> HttpResponse:
    number = WhatsAppNumber.objects.filter(pk=number_id).first()
    if request.method == "GET":
        return _verify(request, number)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_UPDATE_BYTES:
        return _refusal(413, errors.TOO_LARGE, _("The update is too large."))
    body = request.read(MAX_UPDATE_BYTES + 1)
    if len(body) > MAX_UPDATE_BYTES:
        return _refusal(413, errors.TOO_LARGE, _("The update is too large."))
    if whatsapp_refusal(number, body, request.headers.get(SIGNATURE_HEADER, "")):
        logger.warning("whatsapp webhook %s: refused, wrong signature", number_id)
        return _refusal(403, errors.WRONG_SIGNATURE, _("Wrong signature."))
    assert number is not None
    try:
        data = jsonin.loads(body)
        outcomes = intake.keep(number, data)
    except jsonin.BadJson:
        return _refusal(400, errors.BAD_UPDATE, _("The update is not valid JSON."))
    except intake.BadPayload:
        return _refusal(400, errors.BAD_UPDATE, _("The update could not be read."))
    return JsonResponse({"ok": True, "outcomes": outcomes})


def _verify(request: HttpRequest, number: WhatsAppNumber | None) -> HttpResponse:
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    expected = number.verify_token if number is not None else "-"
    if (
        number is None
        or mode != "subscribe"
        or not hmac.compare_digest(token.encode(), expected.encode())
        or not challenge
        or len(challenge) > 200
    ):
        logger.warning("whatsapp webhook %s: verification refused", number.pk if number else "-")
        return _refusal(403, errors.WRONG_SECRET, _("Wrong verify token."))
    return HttpResponse(challenge, content_type="text/plain")
