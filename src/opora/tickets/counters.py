"""Counts of ticket lists that stay cheap at any size: computed once, kept until a ticket
changes.

A queue's badge or an API total is an aggregate over the visible tickets: a few
milliseconds on a small desk, hundreds at a million tickets. So counts are cached, and
the cache is keyed on the desk's *change stamp*: a number the database moves on every
write to the tickets or their SLA rows (triggers from migration 0015, so a bulk SQL
update moves it as well as an action does). A count cached under the current stamp is
exact.

On a desk of up to EXACT_UP_TO tickets counting is cheap, and a changed stamp means a
fresh count on the next read: exact, always. On a larger desk a busy day would pay the
count on nearly every page load, so a count computed less than ESTIMATE_SECONDS ago is
served after a change too, marked as an estimate; it is recounted once it is older.
Whatever happens, no entry is served past MAX_AGE_SECONDS (time-based views such as
"recently solved" move without a write).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import connection

from opora.accounts.models import User

# Desks up to this many tickets (by the highest ticket id) count again on every change.
EXACT_UP_TO = 20_000
# An expensive count is at most this old after a change (then it is an estimate).
ESTIMATE_SECONDS = 10.0
# No cached count lives longer than this, change or not.
MAX_AGE_SECONDS = 60.0

T = TypeVar("T")


def _stamp_and_size() -> tuple[int, int]:
    """The desk's change stamp (it moves on every write to tickets, their SLA rows and
    team memberships) and the highest ticket id (about how many tickets there are):
    one statement, two index lookups."""
    size = "(SELECT MAX(id) FROM tickets_ticket)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT last_value, {size} FROM tickets_change_stamp")  # noqa: S608
        else:
            cursor.execute(f"SELECT value, {size} FROM tickets_change_stamp WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return (int(row[0]), int(row[1] or 0)) if row else (0, 0)


def change_stamp() -> int:
    return _stamp_and_size()[0]


@dataclass(frozen=True)
class Counted(Generic[T]):
    value: T
    exact: bool  # False: computed before the latest change (an estimate)


@dataclass(frozen=True)
class _Entry:
    stamp: int
    value: object
    computed_at: float  # time.time()


def agent_key(user: User) -> str:
    """What an agent's counts depend on besides the tickets and team memberships (which
    move the stamp): who they are."""
    kind = f"{user.role}:{int(user.is_team_lead)}:{user.support_line}:{int(user.is_active)}"
    return f"{user.pk}:{kind}"


def counted(key: str, compute: Callable[[], T]) -> Counted[T]:
    """`compute()`, or its cached value under `key` while the tickets did not change."""
    stamp, size = _stamp_and_size()
    cache_key = f"tickets:count:{key}"
    entry = cache.get(cache_key)
    now = time.time()
    if isinstance(entry, _Entry) and now - entry.computed_at < MAX_AGE_SECONDS:
        if entry.stamp == stamp:
            return Counted(entry.value, exact=True)  # type: ignore[arg-type]
        if size > EXACT_UP_TO and now - entry.computed_at < ESTIMATE_SECONDS:
            return Counted(entry.value, exact=False)  # type: ignore[arg-type]
    value = compute()
    cache.set(cache_key, _Entry(stamp, value, now), timeout=MAX_AGE_SECONDS)
    return Counted(value, exact=True)


# --- Keeping SQLite's triggers -------------------------------------------------------

# The tables whose writes move the stamp (migration 0015 made their triggers).
STAMPED_TABLES = ("tickets_ticket", "sla_ticketsla", "accounts_team_members")


def restore_sqlite_triggers(*, using: str = "default", **_: object) -> None:
    """Put back the change stamp's triggers on SQLite after `migrate`.

    SQLite cannot alter most columns in place: a migration that adds a field with a
    default (or alters one) to a stamped table rebuilds the table, and the rebuilt table
    has no triggers — the stamp would stop moving and the counts would stay stale for
    up to a minute. Connected to post_migrate; every statement is idempotent."""
    from django.db import connections

    db = connections[using]
    if db.vendor != "sqlite":
        return  # PostgreSQL keeps a table's triggers through ALTER TABLE
    existing = set(db.introspection.table_names())
    if "tickets_change_stamp" not in existing:
        return  # migrated backwards past 0015
    move = "BEGIN UPDATE tickets_change_stamp SET value = value + 1 WHERE id = 1; END"
    with db.cursor() as cursor:
        cursor.execute("INSERT OR IGNORE INTO tickets_change_stamp (id, value) VALUES (1, 0)")
        for table in STAMPED_TABLES:
            if table not in existing:
                continue
            for op in ("INSERT", "UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_stamp_{op.lower()} "
                    f"AFTER {op} ON {table} {move}"
                )
