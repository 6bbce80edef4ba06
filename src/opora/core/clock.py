"""The wall clock actions read "now" from: the real time, unless a caller sets another.

Ticket, SLA, feedback, automation and chat actions stamp their rows with `now()` instead
of calling `django.utils.timezone.now()` themselves. In live use the two are the same.
`opora demo` plays a quarter of help-desk history through the real actions: it sets
the moment each step happens (`use`), so every row the actions derive (SLA clocks,
events, first responses, ratings, time entries) is the one live use would have written
then, and the reports recompute consistently. Nothing is patched: the setting is a
context variable, so it covers only the code the caller runs inside the block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_source: ContextVar[Callable[[], datetime] | None] = ContextVar("wall_clock", default=None)


def now() -> datetime:
    """The current moment: the real time, or the one the surrounding `use` block gives."""
    source = _source.get()
    return timezone.now() if source is None else source()


@contextmanager
def use(source: Callable[[], datetime]) -> Iterator[None]:
    """Within the block, `now()` answers `source()` (for replaying history)."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)
