"""A tool's link template: which placeholders it may use, and the link it makes for one
invitation (`{id}` and `{password}` URL-quoted; a query parameter left empty is
dropped, so a RustDesk link without a password simply asks the customer to accept)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

PLACEHOLDERS = ("id", "password", "ticket")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """The `{names}` in `text` that are not PLACEHOLDERS (and "{" or "}" left unpaired)."""
    found = [name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        found.append("{")
    return found


def uses(template: str, name: str) -> bool:
    return "{" + name + "}" in template


def fill_text(text: str, values: dict[str, str]) -> str:
    """The known placeholders of an instructions text filled in as they are."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def make_link(template: str, *, code: str, password: str, ticket: int) -> str:
    values = {
        "id": quote(code, safe=""),
        "password": quote(password, safe=""),
        "ticket": str(ticket),
    }
    link = fill_text(template, values)
    parts = urlsplit(link)
    if not parts.query:
        return link
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if v != ""]
    return urlunsplit(parts._replace(query=urlencode(kept, quote_via=quote)))
