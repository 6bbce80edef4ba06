"""Who gets into the console: signed-in people with at least the section's permission.

Visitors go to sign in; anyone else without the right (customers, an agent where the
section is for others) gets the styled 403 page, in the console's own look when they
may open some other section.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opora.console.sections import SECTIONS_BY_KEY, may_open, sections_for
from opora.pages import signed_in_user

View = TypeVar("View", bound=Callable[..., HttpResponse])


def forbidden(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    template = "console/forbidden.html" if user and user.is_agent else "console/refused.html"
    return render(request, template, {"sections": sections_for(user)}, status=403)


def section_required(key: str) -> Callable[[View], View]:
    """The view belongs to section `key`: only people who may open it get in."""
    section = SECTIONS_BY_KEY[key]

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = signed_in_user(request)
            if user is None:
                return redirect_to_login(request.get_full_path())
            if not may_open(user, section):
                return forbidden(request)
            request.console_section = section  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
