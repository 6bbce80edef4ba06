"""The public status page (/status/) and its badge: readable by anyone, served from
one cached snapshot (`monitoring/status.py`) so that a crowd of customers costs the
database nothing; the subscription form and its signed links (`monitoring/subscribers.py`).

The visitor's language: ?lang=, else the language cookie and the browser's choice
(LocaleMiddleware has read them); the page never looks at the session or the user,
which would cost a query.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.core.errors import OporaError
from opora.core.ratelimit import client_address, hit
from opora.monitoring import status, subscribers

LANGUAGES = ("en", "ru")


def visitor_language(request: HttpRequest) -> str:
    chosen = request.GET.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    current = translation.get_language() or settings.LANGUAGE_CODE
    return "ru" if current.startswith("ru") else "en"


def _too_many(request: HttpRequest) -> HttpResponse | None:
    if hit(
        "status-page",
        client_address(request.META),
        limit=settings.STATUS_RATE_LIMIT_PER_MINUTE,
    ):
        return None
    answer = HttpResponse("Too many requests.", status=429, content_type="text/plain")
    answer["Retry-After"] = "60"
    return answer


def _cacheable(response: HttpResponse, request: HttpRequest, language: str) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={settings.STATUS_MAX_AGE_SECONDS}"
    response["Vary"] = "Accept-Language, Cookie"
    response["Content-Language"] = language
    if request.GET.get("lang") == language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    refused = _too_many(request)
    if refused is not None:
        return refused
    language = visitor_language(request)
    page = status.render_page(status.current(), language)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    return _cacheable(response, request, language)


@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    refused = _too_many(request)
    if refused is not None:
        return refused
    language = visitor_language(request)
    svg = status.render_badge(status.current(), language)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    return _cacheable(response, request, language)


# --- Subscribers: the form, and the signed links of their mails ----------------------


def _message(
    request: HttpRequest,
    language: str,
    title: str,
    text: str,
    *,
    status_code: int = 200,
    button: str = "",
) -> HttpResponse:
    with translation.override(language):
        page = render_to_string(
            "status/message.html",
            {"lang": language, "title": title, "text": text, "button": button},
        )
    return HttpResponse(page, status=status_code)


@csrf_exempt  # the cached page carries no CSRF token; double opt-in guards the address
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    language = visitor_language(request)
    language = request.POST.get("lang", language)
    language = language if language in LANGUAGES else "en"
    with translation.override(language):
        if not hit(
            "status-subscribe",
            client_address(request.META),
            limit=settings.STATUS_SUBSCRIBE_RATE_LIMIT_PER_MINUTE,
        ):
            return _message(
                request,
                language,
                _("Subscribe"),
                _("Too many attempts. Try again in a minute."),
                status_code=429,
            )
        try:
            subscribers.subscribe(request.POST.get("email", ""), language)
        except OporaError as exc:
            return _message(request, language, _("Subscribe"), exc.message, status_code=400)
        return _message(
            request,
            language,
            _("Check your mailbox"),
            _("We sent a confirmation link. Updates start once you open it."),
        )


@csrf_exempt  # the signed token is the check (and mail scanners only GET)
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    found = subscribers.by_confirm_token(token)
    language = found.language if found else visitor_language(request)
    with translation.override(language):
        if found is None:
            return _message(
                request,
                language,
                _("Subscribe"),
                _("This link is not valid or has expired. Subscribe again on the status page."),
                status_code=404,
            )
        if request.method == "GET" and found.confirmed_at is None:
            return _message(
                request,
                language,
                _("Subscribe"),
                _("Confirm that %(email)s should receive incident updates.")
                % {"email": found.email},
                button=_("Confirm"),
            )
        subscribers.confirm(found)
        return _message(
            request,
            language,
            _("Subscribed"),
            _("%(email)s will receive incident updates.") % {"email": found.email},
        )


@csrf_exempt  # RFC 8058 one-click: a POST without any session; the token is the check
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = subscribers.by_unsubscribe_token(token)
    language = found.language if found else visitor_language(request)
    with translation.override(language):
        if found is None:
            return _message(
                request,
                language,
                _("Unsubscribe"),
                _("You are not subscribed (any more)."),
                status_code=404,
            )
        if request.method == "GET":
            return _message(
                request,
                language,
                _("Unsubscribe"),
                _("Stop sending incident updates to %(email)s?") % {"email": found.email},
                button=_("Unsubscribe"),
            )
        subscribers.unsubscribe(found)
        return _message(
            request,
            language,
            _("Unsubscribed"),
            _("%(email)s will receive no more incident updates.") % {"email": found.email},
        )
