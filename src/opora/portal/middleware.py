"""Speak a signed-in user's own language; visitors get the browser's (LocaleMiddleware)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    # Both modes: a sync-only middleware costs every ASGI request two thread switches.
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        self._activate(request, getattr(request, "user", None))
        return self.get_response(request)  # type: ignore[no-any-return]

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        # Only a request with a session can have a signed-in user; resolving it reads
        # the database, which must not happen on the event loop (auser does it off it).
        auser = getattr(request, "auser", None)
        if auser is not None and settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = await auser()
            request.user = user  # the view reads this one: no second lookup
            self._activate(request, user)
        response: HttpResponse = await self.get_response(request)
        return response

    @staticmethod
    def _activate(request: HttpRequest, user: Any) -> None:
        language = getattr(user, "language", None) if user is not None else None
        if (
            user is not None
            and user.is_authenticated
            and language in dict(settings.LANGUAGES)
            and language != translation.get_language()
        ):
            translation.activate(language)
            request.LANGUAGE_CODE = language
