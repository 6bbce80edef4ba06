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
from django.utils import translation
from django.views.decorators.http import require_GET

from opora.core.ratelimit import client_address, hit
from opora.monitoring import status

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
