"""The lean path: providers' webhooks answered past the middleware the pages need.

A messenger's webhook is a machine posting JSON: it carries no session, no cookie, no
user and no language, and its view checks everything it needs itself (the provider's
secret or signature, the body's size and shape). Django's full request (sessions,
authentication, CSRF, locale, the user's language, security headers, messages,
enrolment) cost several times what such a view does: 4-10 ms of a webhook's server CPU
in bench/RESULTS.md ("Messenger channels"), where 500 messages a second leave 4 ms for
everything. So the WSGI application `opora serve` runs (`asgi.py`) hands the POSTs whose
path a domain registered here (`register`, from its `AppConfig.ready()`) straight to
their view, with what Django's own handler does around every request and nothing
more: the request signals (database connections are checked and recycled as for any
request), the host checked against ALLOWED_HOSTS, the request's duration in /metrics
under its route, the desk's default language for the view's refusals, an unexpected
error logged and answered 500 in the API's shape. Every other request, and any method
but POST, goes through Django as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, get_resolver
from django.utils import translation

from opora.core.metrics import REQUEST_LATENCY

logger = logging.getLogger("django.request")

# What every lean answer carries (the views answer JSON or plain text to machines).
HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


@dataclass(frozen=True)
class Mount:
    prefix: str  # the path the URLconf is included under, "/channels/"
    urlconf: str  # its URL patterns: every one a webhook view


_MOUNTS: list[Mount] = []


def register(prefix: str, urlconf: str) -> None:
    """POSTs to the patterns of `urlconf` under `prefix` take the lean path; call from
    an AppConfig.ready(). Every view there must need no middleware."""
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError(f"a lean prefix starts and ends with '/': {prefix!r}")
    mount = Mount(prefix=prefix, urlconf=urlconf)
    if mount not in _MOUNTS:  # ready() may run twice
        _MOUNTS.append(mount)


def _match(path: str) -> tuple[Callable[..., HttpResponse], dict[str, Any], str] | None:
    for mount in _MOUNTS:
        if path.startswith(mount.prefix):
            try:
                found = get_resolver(mount.urlconf).resolve(path[len(mount.prefix) - 1 :])
            except Resolver404:
                continue
            return found.func, found.kwargs, mount.prefix.lstrip("/") + str(found.route)
    return None


class LeanPaths:
    """WSGI middleware: the registered webhooks answered directly, the rest by `app`."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: Any, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            found = _match(environ.get("PATH_INFO", ""))
            if found is not None:
                return self._serve(environ, start_response, *found)
        return self.app(environ, start_response)

    def _serve(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        view: Callable[..., HttpResponse],
        kwargs: dict[str, Any],
        route: str,
    ) -> HttpResponse:
        started = time.perf_counter()
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = WSGIRequest(environ)
        response = _answer(request, view, kwargs)
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]
        # Closing the answer (the server does, once sent) sends request_finished.
        response._handler_class = self.__class__  # type: ignore[attr-defined]
        for name, value in HEADERS:
            response.setdefault(name, value)
        _observe(route, response.status_code, started)
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [
            *response.items(),
            *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
        ]
        start_response(status, headers)
        return response


def _answer(
    request: WSGIRequest, view: Callable[..., HttpResponse], kwargs: dict[str, Any]
) -> HttpResponse:
    try:
        request.get_host()  # ALLOWED_HOSTS, as Django checks for every request
    except DisallowedHost:
        logger.warning("lean path: invalid HTTP_HOST header for %s", request.path)
        return _error(400, "bad_request", "Bad Request")
    try:
        with translation.override(settings.LANGUAGE_CODE):
            return view(request, **kwargs)
    except Exception:
        logger.exception("Internal Server Error: %s", request.path)
        return _error(500, "server_error", "Server Error")


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {
            "detail": message,
            "code": code,
            "errors": [{"field": None, "code": code, "message": message}],
        },
        status=status,
    )


def _observe(route: str, status: int, started: float) -> None:
    REQUEST_LATENCY.labels(route=route, method="POST", status=f"{status // 100}xx").observe(
        time.perf_counter() - started
    )
