"""Headings as a field of their own, Russian lemmas beside the stems, the synonym
vocabulary (loaded with the shipped defaults); the typo vocabulary table goes (it is
kept in memory now)."""

from __future__ import annotations

from typing import Any

import django.utils.timezone
from django.db import migrations, models

SQLITE = [
    "DROP TRIGGER IF EXISTS search_fts_article_ai",
    "DROP TRIGGER IF EXISTS search_fts_article_ad",
    "DROP TRIGGER IF EXISTS search_fts_article_au",
    "DROP TABLE IF EXISTS search_fts_article",
    "CREATE VIRTUAL TABLE search_fts_article USING fts5("
    "title_terms, heading_terms, body_terms, tokenize='unicode61', prefix='2 3 4 5')",
    "CREATE TRIGGER search_fts_article_ai AFTER INSERT ON search_searchdocument "
    "WHEN new.scope = 'article' BEGIN "
    "INSERT INTO search_fts_article(rowid, title_terms, heading_terms, body_terms) "
    "VALUES (new.id, new.title_terms, new.heading_terms, new.body_terms); END",
    "CREATE TRIGGER search_fts_article_ad AFTER DELETE ON search_searchdocument "
    "WHEN old.scope = 'article' BEGIN DELETE FROM search_fts_article WHERE rowid = old.id; END",
    "CREATE TRIGGER search_fts_article_au AFTER UPDATE ON search_searchdocument "
    "WHEN new.scope = 'article' BEGIN DELETE FROM search_fts_article WHERE rowid = old.id; "
    "INSERT INTO search_fts_article(rowid, title_terms, heading_terms, body_terms) "
    "VALUES (new.id, new.title_terms, new.heading_terms, new.body_terms); END",
    "INSERT INTO search_fts_article(rowid, title_terms, heading_terms, body_terms) "
    "SELECT id, title_terms, heading_terms, body_terms FROM search_searchdocument "
    "WHERE scope = 'article'",
]

# Adding a column remakes the table on SQLite, which drops its triggers: the
# conversations' ones come back as they were.
for _action in ("ai", "ad", "au"):
    SQLITE.insert(0, f"DROP TRIGGER IF EXISTS search_fts_ticket_{_action}")
SQLITE += [
    "CREATE TRIGGER search_fts_ticket_ai AFTER INSERT ON search_searchdocument "
    "WHEN new.scope <> 'article' BEGIN "
    "INSERT INTO search_fts_ticket(rowid, title_terms, body_terms) "
    "VALUES (new.id, new.title_terms, new.body_terms); END",
    "CREATE TRIGGER search_fts_ticket_ad AFTER DELETE ON search_searchdocument "
    "WHEN old.scope <> 'article' BEGIN DELETE FROM search_fts_ticket WHERE rowid = old.id; END",
    "CREATE TRIGGER search_fts_ticket_au AFTER UPDATE ON search_searchdocument "
    "WHEN new.scope <> 'article' BEGIN DELETE FROM search_fts_ticket WHERE rowid = old.id; "
    "INSERT INTO search_fts_ticket(rowid, title_terms, body_terms) "
    "VALUES (new.id, new.title_terms, new.body_terms); END",
]

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION search_document_vector() RETURNS trigger AS $$
    BEGIN
      -- Terms arrive stemmed (and lemmatized), so 'simple' only splits them. Articles:
      -- title A, headings B, body C; tickets: subject A, messages B, as before.
      IF NEW.scope = 'article' THEN
        NEW.vector := setweight(to_tsvector('simple', coalesce(NEW.title_terms, '')), 'A')
                   || setweight(to_tsvector('simple', coalesce(NEW.heading_terms, '')), 'B')
                   || setweight(to_tsvector('simple', coalesce(NEW.body_terms, '')), 'C');
      ELSE
        NEW.vector := setweight(to_tsvector('simple', coalesce(NEW.title_terms, '')), 'A')
                   || setweight(to_tsvector('simple', coalesce(NEW.body_terms, '')), 'B');
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
]


def rebuild_article_index(apps: Any, schema_editor: Any) -> None:
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)
    # Terms of the articles already indexed, with lemmas now (the update re-fills the
    # engine's index through its triggers).
    from opora.search.text import index_text

    document = apps.get_model("search", "SearchDocument")
    docs = list(document.objects.filter(scope="article"))
    for doc in docs:
        doc.title_terms = index_text(doc.title, lemmas=True)
        doc.body_terms = index_text(doc.body, lemmas=True)
    document.objects.bulk_update(docs, ["title_terms", "body_terms"], batch_size=500)


def load_shipped_synonyms(apps: Any, schema_editor: Any) -> None:
    from opora.search.synonyms import LANGUAGES, shipped_groups

    group = apps.get_model("search", "SynonymGroup")
    group.objects.bulk_create(
        [
            group(language=language, phrases=phrases)
            for language in LANGUAGES
            for phrases in shipped_groups(language)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="SynonymGroup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("language", models.CharField(choices=[("en", "English"), ("ru", "Russian")], max_length=8, verbose_name="language")),
                ("phrases", models.JSONField(default=list, verbose_name="phrases")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["language", "id"]},
        ),
        migrations.DeleteModel(name="SearchTerm"),
        migrations.AddField(
            model_name="searchdocument",
            name="heading_terms",
            field=models.TextField(blank=True, db_default=""),
        ),
        migrations.AddIndex(
            model_name="synonymgroup",
            index=models.Index(fields=["language"], name="search_synonym_language"),
        ),
        migrations.RunPython(rebuild_article_index, migrations.RunPython.noop),
        migrations.RunPython(load_shipped_synonyms, migrations.RunPython.noop),
    ]
