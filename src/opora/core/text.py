"""Plain text from templates: the text part and subject line of every mail."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def render_text(template: str, context: dict[str, Any]) -> str:
    """Render a `.txt` template without HTML escaping (a mail's text is not HTML)."""
    return render_to_string(template, context, using="text")


def guess_language(sample: str, fallback: str, *, minimum: int = 20) -> str:
    """ "ru" or "en" from the letters of `sample` (at least `minimum` of them decide),
    else `fallback`. Enough for the desk's two languages; mixed text keeps the fallback."""
    sample = sample.lower()
    cyrillic = sum(1 for ch in sample if "а" <= ch <= "я" or ch == "ё")  # noqa: RUF001
    latin = sum(1 for ch in sample if "a" <= ch <= "z")
    if cyrillic >= minimum and cyrillic > latin / 2:
        return "ru"
    if latin >= minimum and cyrillic == 0:
        return "en"
    return fallback
