"""Side effects run after the surrounding transaction commits, never inside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction


def after_commit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `fn(*args, **kwargs)` once the current transaction commits (now if none).

    A failing callback is logged and does not stop the others.
    """

    def call() -> None:
        fn(*args, **kwargs)

    # Django names the failing callback in its log line by __qualname__.
    call.__qualname__ = getattr(fn, "__qualname__", repr(fn))
    transaction.on_commit(call, robust=True)
