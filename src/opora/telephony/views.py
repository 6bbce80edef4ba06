"""A phone line's webhook: `POST /channels/phone/<line id>/<provider>`.

The provider in the address must be the line's. The body is bounded before it is read;
the signature is checked before anything is parsed or written (403 and nothing stored
when it is wrong, only a log line); then the event is
read (400 when it cannot be) and taken in once (`intake.take`). Any 2xx tells the
provider the event arrived; a retry of it is a duplicate and changes nothing.

Zadarma checks a new address with `GET ?zd_echo=<text>`, expecting the text back.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from opora.core.errors import OporaError
from opora.telephony import errors, formats, intake
from opora.telephony.actions import note_error
from opora.telephony.models import PhoneLine, Provider

logger = logging.getLogger("opora.telephony")
MAX_EVENT_BYTES = 64 * 1024
ECHO = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _refusal(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {
            "detail": message,
            "code": code,
            "errors": [{"field": None, "code": code, "message": message}],
        },
        status=status,
    )


def _body(request: HttpRequest) -> bytes | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_EVENT_BYTES:
        return None
    body = request.read(MAX_EVENT_BYTES + 1)
    return None if len(body) > MAX_EVENT_BYTES else body


def _form(body: bytes) -> dict[str, str]:
    """A form-encoded body as single values (the last of repeated fields)."""
    try:
        parsed = QueryDict(body, encoding="utf-8")
    except Exception:  # a malformed body is no event
        raise formats.BadEvent("not a form") from None
    return {key: parsed[key] for key in parsed}


def _urls(request: HttpRequest) -> list[str]:
    """The addresses the provider may have signed: as the desk's public address names
    it, and as this request arrived."""
    own = f"{settings.BASE_URL.rstrip('/')}{request.get_full_path()}"
    return list(dict.fromkeys([own, request.build_absolute_uri()]))


def _read(line: PhoneLine, request: HttpRequest, body: bytes) -> formats.PhoneEvent:
    """Check the signature, then read the event (Forged, BadEvent, Unverifiable)."""
    if line.provider == Provider.GENERIC:
        formats.verify_generic(line.secret, request.headers, body)
        return formats.read_generic(body)
    form = _form(body)
    if line.provider == Provider.TWILIO:
        signature = request.headers.get(formats.TWILIO_SIGNATURE, "")
        formats.verify_twilio(line.secret, _urls(request), form, signature)
        query = {key: request.GET[key] for key in request.GET}
        return formats.read_twilio(form, query)
    formats.verify_zadarma(line.secret, form, request.headers.get(formats.ZADARMA_SIGNATURE, ""))
    return formats.read_zadarma(form)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, line_id: int, provider: str) -> HttpResponse:
    line = PhoneLine.objects.filter(pk=line_id).first()
    if line is None or provider != line.provider:
        return _refusal(404, "not_found", _("There is no such phone line."))
    if request.method == "GET":
        echo = request.GET.get("zd_echo", "")
        if line.provider == Provider.ZADARMA and ECHO.match(echo):
            return HttpResponse(echo, content_type="text/plain")
        return _refusal(405, "method_not_allowed", _("Send events with POST."))
    body = _body(request)
    if body is None:
        return _refusal(413, errors.TOO_LARGE, _("The event is too large."))
    try:
        event = _read(line, request, body)
    except formats.Forged:
        # Nothing is written for a stranger's request, not even the line's last error.
        logger.warning("phone line %s: event refused, wrong signature", line.pk)
        return _refusal(403, errors.WRONG_SIGNATURE, _("The signature is missing or wrong."))
    except formats.Unverifiable as exc:
        logger.info("phone line %s: event %s ignored (not taken, not signed)", line.pk, exc)
        return JsonResponse({"ok": True, "outcome": formats.IGNORED})
    except formats.BadEvent as exc:
        logger.info("phone line %s: event could not be read: %s", line.pk, exc)
        note_error(line, _("An event could not be read: %(why)s") % {"why": str(exc)[:200]})
        return _refusal(
            400, errors.BAD_EVENT, _("The event could not be read: %(why)s") % {"why": exc}
        )
    try:
        outcome = intake.take(line, event)
    except OporaError as exc:
        # A concurrent event of the same call won twice: the provider retries.
        return _refusal(409, exc.code, exc.message)
    return JsonResponse({"ok": True, "outcome": outcome})
