"""Static files by WhiteNoise, in a middleware that is both sync- and async-capable.

WhiteNoise's own middleware is sync-only. Under ASGI one sync-only middleware in the
chain makes Django switch between the event loop and a worker thread around it on every
request (sync_to_async above it, async_to_sync below it), which cost more than the
request itself on the cheapest endpoints. This wrapper answers static paths with
WhiteNoise (a dictionary lookup, then the file) and passes everything else on in the
chain's own mode, so a request crosses into a thread once: for its view.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware


def _unused(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError("static lookups do not pass requests on")


class StaticFilesMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.whitenoise = WhiteNoiseMiddleware(_unused)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _static_file(self, request: HttpRequest) -> Any:
        if self.whitenoise.autorefresh:
            return self.whitenoise.find_file(request.path_info)
        return self.whitenoise.files.get(request.path_info)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        static_file = self._static_file(request)
        if static_file is not None:
            served: HttpResponse = self.whitenoise.serve(static_file, request)
            return served
        response: HttpResponse = self.get_response(request)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        static_file = self._static_file(request)
        if static_file is not None:
            # Opening the file is blocking I/O: off the event loop.
            serve = sync_to_async(self.whitenoise.serve, thread_sensitive=False)
            response: HttpResponse = await serve(static_file, request)
            return response
        response = await self.get_response(request)
        return response
