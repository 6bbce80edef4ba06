"""What every console page's layout needs: the sidebar's sections and the page shown."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opora.console.sections import page_of, sections_for
from opora.pages import signed_in_user


def console_context(request: HttpRequest, page: str, **extra: Any) -> dict[str, Any]:
    return {
        "nav": "console",
        "sections": sections_for(signed_in_user(request)),
        "section": getattr(request, "console_section", None),
        "page": page,
        **extra,
    }


def sidebar(request: HttpRequest) -> dict[str, Any]:
    """For pages that live in another app but belong to a console section (the chat's
    and sign-in settings): the console's sidebar, with their own entry marked."""
    match = getattr(request, "resolver_match", None)
    found = page_of(match.view_name) if match is not None else None
    if found is None:
        return {}
    section, page = found
    return {"sections": sections_for(signed_in_user(request)), "section": section, "page": page.key}
