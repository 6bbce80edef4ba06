"""Human ticket numbers: sequential, never reused, safe under concurrent creation."""

from __future__ import annotations

from django.db import connection

PG_SEQUENCE = "tickets_ticket_number_seq"


def next_ticket_numbers(count: int) -> list[int]:
    """Reserve `count` ticket numbers in one statement, in increasing order.

    PostgreSQL: a real sequence, so concurrent creators never wait on each other (a
    rolled-back creation leaves a gap, as in every help desk). SQLite has one writer
    at a time anyway; an upsert on a one-row counter, seeded from the highest number
    in use, survives a flushed test database or imported tickets.
    """
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1", [PG_SEQUENCE, count]
            )
            return [int(row[0]) for row in cursor.fetchall()]
        cursor.execute(
            "INSERT INTO tickets_ticketnumbersequence (id, value) "
            "VALUES (1, (SELECT COALESCE(MAX(number), 0) + %s FROM tickets_ticket)) "
            "ON CONFLICT(id) DO UPDATE SET value = MAX(value + %s, "
            "(SELECT COALESCE(MAX(number), 0) + %s FROM tickets_ticket)) "
            "RETURNING value",
            [count, count, count],
        )
        row = cursor.fetchone()
    last = int(row[0])
    return list(range(last - count + 1, last + 1))


def sync_ticket_numbers() -> None:
    """After importing tickets with their own numbers, continue above the highest one."""
    if connection.vendor != "postgresql":
        return  # the SQLite counter looks at MAX(number) itself
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(number), 0) FROM tickets_ticket), 1))",
            [PG_SEQUENCE],
        )
