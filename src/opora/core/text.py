"""Plain text from templates: the text part and subject line of every mail."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def render_text(template: str, context: dict[str, Any]) -> str:
    """Render a `.txt` template without HTML escaping (a mail's text is not HTML)."""
    return render_to_string(template, context, using="text")
