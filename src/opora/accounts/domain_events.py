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
