"""JSON from outside, read with bounds: nesting depth and size are checked before any
handler walks the data, so a hostile document costs what a flat one of its size costs.

orjson parses in C without recursing on the interpreter's stack (Python's json module
raised RecursionError, a 500, on 100,000 nested brackets) and refuses nesting beyond
1,024 levels itself; the walk here then holds every document to `MAX_DEPTH`.
"""

from __future__ import annotations

from typing import Any

import orjson

# No request the desk understands nests deeper than this.
MAX_DEPTH = 32


class BadJson(ValueError):
    """Not JSON, or JSON nested deeper than the desk accepts."""


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadJson(str(exc)) from None
    if _deeper_than(value, max_depth):
        raise BadJson(f"nested deeper than {max_depth} levels")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
