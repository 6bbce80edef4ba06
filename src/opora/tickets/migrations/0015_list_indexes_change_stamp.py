# Indexes for ticket lists at any size (an agent's or a team's tickets newest first, the
# open queue by priority), and the desk's change stamp (tickets.counters): the database moves it on every write to
# the tickets, their SLA rows and team memberships, whoever writes (an action, a bulk
# SQL load, a migration), so cached counts know when they went stale.

from typing import Any

from django.db import migrations, models

# What the counts read besides the tickets: the SLA views and who is in which team.
TABLES = ("tickets_ticket", "sla_ticketsla", "accounts_team_members")

POSTGRES = [
    # A sequence: moving it takes no lock, so concurrent writers never queue on it.
    "CREATE SEQUENCE IF NOT EXISTS tickets_change_stamp",
    """CREATE OR REPLACE FUNCTION tickets_change_stamp_move() RETURNS trigger
       LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('tickets_change_stamp'); RETURN NULL; END $$""",
    # Moved twice: at once, so the writing transaction (and a test inside one) reads
    # its own change as new; and again at the commit, so that a reader who counted
    # between the two, without seeing the uncommitted change, recounts. What is left
    # is the commit's own moment (tickets.counters bounds it by the entries' age).
    *(
        statement
        for table in TABLES
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_change_stamp ON {table}",
            f"CREATE CONSTRAINT TRIGGER {table}_change_stamp"
            f" AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            " EXECUTE FUNCTION tickets_change_stamp_move()",
            f"DROP TRIGGER IF EXISTS {table}_change_stamp_now ON {table}",
            f"CREATE TRIGGER {table}_change_stamp_now"
            f" AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION tickets_change_stamp_move()",
        )
    ),
]

POSTGRES_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_change_stamp ON {table}" for table in TABLES),
    *(f"DROP TRIGGER IF EXISTS {table}_change_stamp_now ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS tickets_change_stamp_move()",
    "DROP SEQUENCE IF EXISTS tickets_change_stamp",
]

_MOVE = "BEGIN UPDATE tickets_change_stamp SET value = value + 1 WHERE id = 1; END"
SQLITE = [
    # One writer at a time on SQLite: a one-row table is as good as a sequence, and a
    # rolled-back write rolls the stamp back with it.
    "CREATE TABLE IF NOT EXISTS tickets_change_stamp (id integer PRIMARY KEY, value integer NOT NULL)",
    "INSERT OR IGNORE INTO tickets_change_stamp (id, value) VALUES (1, 0)",
    *(
        f"CREATE TRIGGER IF NOT EXISTS {table}_stamp_{op.lower()} AFTER {op} ON {table} {_MOVE}"
        for table in TABLES
        for op in ("INSERT", "UPDATE", "DELETE")
    ),
]

SQLITE_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_stamp_{op.lower()}"
        for table in TABLES
        for op in ("INSERT", "UPDATE", "DELETE")
    ),
    "DROP TABLE IF EXISTS tickets_change_stamp",
]


def create_stamp(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES if postgres else SQLITE:
        schema_editor.execute(statement)


def drop_stamp(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES_DROP if postgres else SQLITE_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0014_channel_whatsapp"),
        # The SLA rows and team memberships feed the counts: their tables get the trigger.
        ("sla", "0002_service_settings"),
        ("accounts", "0011_email_undeliverable"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["assignee", "-updated_at", "-id"], name="ticket_assignee_upd"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["team", "-updated_at", "-id"], name="ticket_team_upd"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "pending", "on_hold"])),
                fields=["-priority", "-updated_at", "-id"],
                name="ticket_open_priority",
            ),
        ),
        migrations.RunPython(create_stamp, drop_stamp),
    ]
