from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.utils import timezone

SQLITE = [
    # Two FTS5 tables so a knowledge-base search never wades through ticket messages.
    "CREATE VIRTUAL TABLE search_fts_article USING fts5("
    "title_terms, body_terms, tokenize='unicode61', prefix='2 3 4 5')",
    "CREATE VIRTUAL TABLE search_fts_ticket USING fts5("
    "title_terms, body_terms, tokenize='unicode61', prefix='2 3 4 5')",
]
for _table, _cond in (("search_fts_article", "= 'article'"), ("search_fts_ticket", "<> 'article'")):
    SQLITE += [
        f"CREATE TRIGGER {_table}_ai AFTER INSERT ON search_searchdocument "
        f"WHEN new.scope {_cond} BEGIN "
        f"INSERT INTO {_table}(rowid, title_terms, body_terms) "
        f"VALUES (new.id, new.title_terms, new.body_terms); END",
        f"CREATE TRIGGER {_table}_ad AFTER DELETE ON search_searchdocument "
        f"WHEN old.scope {_cond} BEGIN DELETE FROM {_table} WHERE rowid = old.id; END",
        f"CREATE TRIGGER {_table}_au AFTER UPDATE ON search_searchdocument "
        f"WHEN new.scope {_cond} BEGIN DELETE FROM {_table} WHERE rowid = old.id; "
        f"INSERT INTO {_table}(rowid, title_terms, body_terms) "
        f"VALUES (new.id, new.title_terms, new.body_terms); END",
    ]

POSTGRES = [
    "ALTER TABLE search_searchdocument ADD COLUMN vector tsvector",
    """
    CREATE FUNCTION search_document_vector() RETURNS trigger AS $$
    BEGIN
      -- Terms arrive stemmed (Russian and English Snowball), so the 'simple'
      -- configuration only splits them; the title weighs more than the body.
      NEW.vector := setweight(to_tsvector('simple', coalesce(NEW.title_terms, '')), 'A')
                 || setweight(to_tsvector('simple', coalesce(NEW.body_terms, '')), 'B');
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER search_document_vector BEFORE INSERT OR UPDATE ON search_searchdocument "
    "FOR EACH ROW EXECUTE FUNCTION search_document_vector()",
    # Partial GIN indexes: articles and ticket conversations are searched apart.
    "CREATE INDEX search_doc_article_gin ON search_searchdocument USING gin (vector) "
    "WHERE scope = 'article'",
    "CREATE INDEX search_doc_ticket_gin ON search_searchdocument USING gin (vector) "
    "WHERE scope <> 'article'",
    "CREATE INDEX search_term_prefix ON search_searchterm (term text_pattern_ops)",
]


def create_index(apps: Any, schema_editor: Any) -> None:
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def drop_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS search_document_vector() CASCADE")
    else:
        schema_editor.execute("DROP TABLE IF EXISTS search_fts_article")
        schema_editor.execute("DROP TABLE IF EXISTS search_fts_ticket")


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("scope", models.CharField(choices=[("article", "Article"), ("ticket", "Ticket"), ("message", "Message")], max_length=8)),
                ("object_id", models.BigIntegerField()),
                ("ticket_id", models.BigIntegerField(blank=True, null=True)),
                ("language", models.CharField(blank=True, max_length=8)),
                ("status", models.CharField(blank=True, max_length=16)),
                ("title", models.CharField(blank=True, max_length=255)),
                ("body", models.TextField(blank=True)),
                ("title_terms", models.TextField(blank=True)),
                ("body_terms", models.TextField(blank=True)),
                ("updated_at", models.DateTimeField(default=timezone.now)),
            ],
            options={
                "indexes": [models.Index(fields=["ticket_id"], name="search_doc_ticket")],
                "constraints": [models.UniqueConstraint(fields=("scope", "object_id"), name="search_doc_unique")],
            },
        ),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("term", models.CharField(max_length=64, unique=True)),
            ],
        ),
        migrations.RunPython(create_index, drop_index),
    ]
