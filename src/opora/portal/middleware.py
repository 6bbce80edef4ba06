"""Speak a signed-in user's own language; visitors get the browser's (LocaleMiddleware)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", None) if user is not None else None
        if (
            user is not None
            and user.is_authenticated
            and language in dict(settings.LANGUAGES)
            and language != translation.get_language()
        ):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
