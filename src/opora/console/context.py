"""What every console page's layout needs: the sidebar's sections and the page shown."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opora.console.sections import sections_for
from opora.pages import signed_in_user


def console_context(request: HttpRequest, page: str, **extra: Any) -> dict[str, Any]:
    return {
        "nav": "console",
        "sections": sections_for(signed_in_user(request)),
        "section": getattr(request, "console_section", None),
        "page": page,
        **extra,
    }
