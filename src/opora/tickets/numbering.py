"""Human ticket numbers: sequential, never reused, safe under concurrent creation."""

from __future__ import annotations

from django.db import connection

PG_SEQUENCE = "tickets_ticket_number_seq"


def next_ticket_number() -> int:
    """Reserve the next ticket number.

    PostgreSQL: a real sequence, so concurrent creators never wait on each other (a
    rolled-back creation leaves a gap, as in every help desk). SQLite has one writer
    at a time anyway; an upsert on a one-row counter, seeded from the highest number
    in use, survives a flushed test database or imported tickets.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s)", [PG_SEQUENCE])
        else:
            cursor.execute(
                "INSERT INTO tickets_ticketnumbersequence (id, value) "
                "VALUES (1, (SELECT COALESCE(MAX(number), 0) + 1 FROM tickets_ticket)) "
                "ON CONFLICT(id) DO UPDATE SET value = MAX(value + 1, "
                "(SELECT COALESCE(MAX(number), 0) + 1 FROM tickets_ticket)) "
                "RETURNING value"
            )
        row = cursor.fetchone()
    return int(row[0])


def sync_ticket_numbers() -> None:
    """After importing tickets with their own numbers, continue above the highest one."""
    if connection.vendor != "postgresql":
        return  # the SQLite counter looks at MAX(number) itself
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(number), 0) FROM tickets_ticket), 1))",
            [PG_SEQUENCE],
        )
