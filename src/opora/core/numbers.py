"""Numbers from outside (paths, query strings, form fields) read strictly.

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses or reads as another
number, and nothing bounds a digit string: 2^63 passes every check and overflows the
database's integer. Everything that turns request text into an id or a count goes
through here: ASCII digits only, within the range the database can hold.
"""

from __future__ import annotations

import re

from django.urls import register_converter

# The largest value of a 64-bit signed integer column (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_int(value: object, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """`value` as an int when it is ASCII digits within [minimum, maximum], else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if minimum <= number <= maximum else None


def parse_id(value: object) -> int | None:
    """A database id or ticket number (1 … 2^63-1) from request text, else None."""
    return parse_int(value, minimum=1)


class IdConverter:
    """`<id:name>` in URL patterns: like `<id:…>`, but a number the database cannot
    hold does not match (404) instead of failing in the query (500)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # the pattern does not match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
