"""What the workspace and portal views share: access decorators, files, form errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from opora.accounts.models import User
from opora.core.errors import NotFound, OporaError
from opora.tickets.attachments import IncomingFile

View = TypeVar("View", bound=Callable[..., HttpResponse])


def signed_in_user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_active else None


def agent_required(view: View) -> View:
    """Staff pages: visitors go to sign in, customers to their portal."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = signed_in_user(request)
        if user is None:
            return redirect_to_login(request.get_full_path())
        if not user.is_agent:
            return redirect("portal:home")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def customer_required(view: View) -> View:
    """Portal pages for signed-in customers; agents work in the workspace."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = signed_in_user(request)
        if user is None:
            return redirect_to_login(request.get_full_path())
        if user.is_agent:
            return redirect("agent:queue")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_user(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if user is None:  # the decorators above make this unreachable
        raise Http404
    return user


def not_found_as_404(exc: NotFound) -> Http404:
    # Someone else's ticket and a missing one look the same: the 404 page.
    return Http404(exc.message)


def incoming_files(request: HttpRequest, field: str = "attachments") -> list[IncomingFile]:
    return [
        IncomingFile(
            name=f.name or "attachment",
            content=f,
            size=f.size or 0,
            content_type=f.content_type or "",
        )
        for f in request.FILES.getlist(field)
    ]


def add_action_error(
    form: forms.Form, exc: OporaError, *, default_field: str | None = None
) -> None:
    """Show an action's error next to the field it concerns (or above the form)."""
    field = exc.field if exc.field in form.fields else default_field
    form.add_error(field if field in form.fields else None, exc.message)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class PageForm(forms.Form):
    """A form of Opora's pages: labels without the trailing colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
