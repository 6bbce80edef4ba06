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

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from django import db
from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
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
# Mounts only the event loop's handlers take (`register_async_only`): whatever they
# leave goes through Django whole, middleware and all (the API's own paths).
_ASYNC_MOUNTS: list[Mount] = []


def register(prefix: str, urlconf: str) -> None:
    """POSTs to the patterns of `urlconf` under `prefix` take the lean path; call from
    an AppConfig.ready(). Every view there must need no middleware."""
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError(f"a lean prefix starts and ends with '/': {prefix!r}")
    mount = Mount(prefix=prefix, urlconf=urlconf)
    if mount not in _MOUNTS:  # ready() may run twice
        _MOUNTS.append(mount)


def register_async_only(prefix: str, urlconf: str) -> None:
    """POSTs to the patterns of `urlconf` under `prefix` are offered to the handlers
    registered for their views (`register_async`) in the event loop; what a handler
    leaves, and every request when the ASGI path is not in use, goes through Django's
    full request cycle. Call once at start (asgi.py)."""
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError(f"a lean prefix starts and ends with '/': {prefix!r}")
    mount = Mount(prefix=prefix, urlconf=urlconf)
    if mount not in _ASYNC_MOUNTS:
        _ASYNC_MOUNTS.append(mount)


def _match(
    path: str, mounts: list[Mount] | None = None
) -> tuple[Callable[..., Any], dict[str, Any], str] | None:
    for mount in _MOUNTS if mounts is None else mounts:
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


# --- The ASGI lean path ---------------------------------------------------------------
#
# Behind uvicorn, every request the WSGI path above answers still crosses a2wsgi: the
# body handed to a thread of its pool, the answer handed back, each a switch between
# the event loop and a thread (about 1 ms of a webhook's CPU, bench/RESULTS.md). A view
# registered with `register_async` has a second, asynchronous handler that answers the
# usual case in the event loop itself: the body read with its limit, the request
# checked, the write handed to a `GroupCommit` (one thread hand-off per group of
# requests, not several per request). Whatever that handler does not take (it answers
# None: a refusal to explain, a rare kind of request) is replayed, body and all, to the
# WSGI application, which answers it as before.


@dataclass(frozen=True)
class Answer:
    """What an asynchronous lean handler answers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    # The answer's own headers besides Content-Type and Content-Length; None: the
    # webhooks' usual few (`HEADERS`).
    headers: tuple[tuple[str, str], ...] | None = None


class AsyncHandler:
    """The asynchronous side of one webhook view (`register_async`)."""

    # The largest body taken; a longer one is refused with `too_large()`.
    limit: int = 1024 * 1024

    def takes(self, headers: dict[str, str]) -> bool:
        """Whether to read this request at all (by its headers, lower-cased); one it
        does not take goes to the WSGI application untouched."""
        return True

    async def answer(
        self, kwargs: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> Answer | None:
        """The answer, or None to let the WSGI view answer (the body is replayed)."""
        raise NotImplementedError

    def too_large(self) -> Answer:
        raise NotImplementedError


_ASYNC: dict[Callable[..., Any], AsyncHandler] = {}


def register_async(view: Callable[..., Any], handler: AsyncHandler) -> None:
    """POSTs that `register` sends to `view` are first offered to `handler` in the event
    loop (`LeanAsgi`); the view stays the answer for everything the handler leaves."""
    _ASYNC[view] = handler


def error_body(code: str, message: str) -> bytes:
    """The API's error shape, as bytes (the asynchronous handlers' refusals)."""
    return orjson.dumps(
        {
            "detail": message,
            "code": code,
            "errors": [{"field": None, "code": code, "message": message}],
        }
    )


class LeanAsgi:
    """ASGI middleware: registered webhooks answered in the event loop when their
    handler can; everything else (and what the handler leaves) goes to `app`."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and _ASYNC:
            found = _match(scope.get("path", ""), [*_MOUNTS, *_ASYNC_MOUNTS])
            if found is not None and found[0] in _ASYNC:
                await self._serve(scope, receive, send, _ASYNC[found[0]], found[1], found[2])
                return
        await self.app(scope, receive, send)

    async def _serve(
        self,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        handler: AsyncHandler,
        kwargs: dict[str, Any],
        route: str,
    ) -> None:
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not handler.takes(headers):
            await self.app(scope, receive, send)
            return
        body = await _read(receive, headers, handler.limit)
        if body is _GONE:
            return  # the client went away
        if body is None:
            answer: Answer | None = handler.too_large()
        elif not _host_allowed(scope, headers):
            answer = None  # Django's handler refuses it, logged as it logs it
        else:
            try:
                answer = await handler.answer(kwargs, headers, body)
            except Exception:
                logger.exception("Internal Server Error: %s", scope.get("path", ""))
                answer = Answer(500, error_body("server_error", "Server Error"))
        if answer is None:
            await self.app(scope, _replay(body or b"", receive), send)
            return
        _observe(route, answer.status, started)
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-type", answer.content_type.encode()),
                    (b"content-length", str(len(answer.body)).encode()),
                    *(
                        _ASGI_HEADERS
                        if answer.headers is None
                        else [(n.lower().encode(), v.encode()) for n, v in answer.headers]
                    ),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})


_ASGI_HEADERS = tuple((name.lower().encode(), value.encode()) for name, value in HEADERS)
_GONE = b"\0gone"  # a marker: the client disconnected while its body was read


async def _read(receive: Any, headers: dict[str, str], limit: int) -> bytes | None:
    """The request's body; None when it is over `limit` (read no further than that)."""
    try:
        if int(headers.get("content-length") or 0) > limit:
            return None
    except ValueError:
        pass
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return _GONE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Callable[[], Awaitable[dict[str, Any]]]:
    given = False

    async def again() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: dict[str, Any] = await receive()
        return message

    return again


def _host_allowed(scope: dict[str, Any], headers: dict[str, str]) -> bool:
    """ALLOWED_HOSTS, checked exactly as Django checks it for every request."""
    request = HttpRequest()
    server = scope.get("server") or ("", 80)
    request.META = {"SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1])}
    if "host" in headers:
        request.META["HTTP_HOST"] = headers["host"]
    if "x-forwarded-host" in headers:
        request.META["HTTP_X_FORWARDED_HOST"] = headers["x-forwarded-host"]
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


class GroupCommit:
    """Writes of concurrent requests grouped: one thread, one database connection,
    one durable commit for every request that arrived while the previous group was
    being written.

    `write(items)` runs in the writer's own thread and returns one result per item, in
    order; it is handed every item waiting, `limit` at most at a time. Nothing waits on
    purpose: a lone request is written at once, and under load a group is whatever came
    while the last commit was on its way to disk. When `write` raises, each item of the
    group is written alone; one that fails alone gets the exception (its caller answers
    5xx, and the provider sends it again). The connection is closed after `IDLE`
    seconds without work and after any error (the next group opens a fresh one, as
    the next request would)."""

    IDLE = 1.0

    def __init__(self, write: Callable[[list[Any]], list[Any]], *, limit: int = 200) -> None:
        self.write = write
        self.limit = limit
        self._jobs: queue.SimpleQueue[list[tuple[Any, asyncio.Future[Any]]]] = queue.SimpleQueue()
        self._waiting: dict[asyncio.AbstractEventLoop, list[tuple[Any, asyncio.Future[Any]]]] = {}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.groups = 0  # how many groups were written (one commit each, or so)

    async def submit(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        waiting = self._waiting.get(loop)
        if waiting is None:  # none is on its way: this one starts a group
            self._waiting[loop] = []
            self._start()
            self._jobs.put([(item, future)])
        else:  # joins the group written after the one under way
            waiting.append((item, future))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                group = self._jobs.get(timeout=self.IDLE)
            except queue.Empty:
                db.connection.close()  # idle: the connection goes back
                continue
            loop = group[0][1].get_loop()
            results = self._write([item for item, _future in group])
            self.groups += 1
            try:
                loop.call_soon_threadsafe(self._done, loop, group, results)
            except RuntimeError:  # the loop is closed: nobody waits for these answers
                logger.warning("group commit: %s answers had no loop to go to", len(group))

    def _write(self, items: list[Any]) -> list[Any]:
        """The results of a group; when the group fails as a whole, each item is written
        alone, so one that cannot be stored does not fail the others: its result is
        its exception."""
        try:
            return self.write(items)
        except Exception as exc:
            db.connection.close()  # a fresh one for what follows
            if len(items) == 1:
                return [_Failed(exc)]
            logger.warning("group commit: a group of %s failed: one by one", len(items))
        return [self._write([item])[0] for item in items]

    def _done(
        self,
        loop: asyncio.AbstractEventLoop,
        group: list[tuple[Any, asyncio.Future[Any]]],
        results: list[Any],
    ) -> None:
        """In the event loop: answer the group, then send the next one (all that came
        meanwhile) to the writer, or note that none is on its way."""
        for (_item, future), result in zip(group, results, strict=True):
            if future.done():
                continue
            if isinstance(result, _Failed):
                future.set_exception(result.error)
            else:
                future.set_result(result)
        waiting = self._waiting.get(loop) or []
        if waiting:
            self._waiting[loop] = waiting[self.limit :]
            self._jobs.put(waiting[: self.limit])
        else:
            self._waiting.pop(loop, None)


@dataclass(frozen=True)
class _Failed:
    error: BaseException
