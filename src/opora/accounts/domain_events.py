"""What the accounts actions publish for the apps above them (see `core/dispatch.py`).

Accounts knows nothing of tickets or ratings: when two customers become one, the apps
that keep rows of people subscribe and move their own rows, in the merge's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from opora.accounts.models import User


@dataclass(frozen=True)
class CustomersMerged:
    """`drop` was merged into `keep` by `by`: everything of `drop` now belongs to `keep`.

    Published inside the merge's transaction with both accounts locked; `drop` is
    already deactivated and points at `keep`.
    """

    keep: User
    drop: User
    by: User


@dataclass(frozen=True)
class AgentDeactivated:
    """`agent` is being deactivated by `by`: their open tickets go to `reassign_to`, or
    back to their team's unassigned queue when it is None.

    Published inside the deactivation's transaction, with the agent's row locked and
    still active; a refusal by a subscriber (the target is no member of a ticket's
    team) rolls the deactivation back."""

    agent: User
    reassign_to: User | None
    by: User
