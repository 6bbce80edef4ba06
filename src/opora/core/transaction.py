"""Side effects run after the surrounding transaction commits, never inside it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction


def after_commit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `fn(*args, **kwargs)` once the current transaction commits (now if none)."""
    transaction.on_commit(partial(fn, *args, **kwargs), robust=True)
