"""PostgreSQL numbers tickets from a real sequence (no lock between concurrent creators)."""

from django.db import migrations


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS tickets_ticket_number_seq START 1")
    schema_editor.execute(
        "SELECT setval('tickets_ticket_number_seq', "
        "GREATEST((SELECT COALESCE(MAX(number), 0) FROM tickets_ticket), 1), "
        "(SELECT COUNT(*) > 0 FROM tickets_ticket))"
    )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS tickets_ticket_number_seq")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create_sequence, drop_sequence)]
