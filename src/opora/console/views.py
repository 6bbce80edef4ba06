"""The console's front door: the first section this person may open."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from opora.console.access import forbidden
from opora.console.sections import sections_for
from opora.pages import signed_in_user


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    sections = sections_for(user)
    if not sections:
        return forbidden(request)
    return redirect(sections[0].url_name)
