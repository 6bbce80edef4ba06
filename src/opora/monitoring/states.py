"""The monitor's state machine, kept apart from storage so its rules read at a glance.

unknown/up → down after `down_after` consecutive failures; down → up after `up_after`
consecutive successes. A first success leaves "unknown" at once; a single failure of a
monitor that was never up counts towards "down" like any other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    state: str
    failures: int
    successes: int
    changed: bool  # the state moved (up→down, down→up, unknown→either)


def advance(
    state: str, failures: int, successes: int, ok: bool, *, down_after: int, up_after: int
) -> Step:
    if ok:
        successes, failures = successes + 1, 0
        if state == "down" and successes < up_after:
            return Step(state, failures, successes, False)
        return Step("up", failures, successes, state != "up")
    failures, successes = failures + 1, 0
    if state != "down" and failures >= down_after:
        return Step("down", failures, successes, True)
    return Step(state, failures, successes, False)
