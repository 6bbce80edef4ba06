"""The search index: one row per searchable thing, its stems kept beside its text.

The engine-specific index (an FTS5 table on SQLite, a tsvector column with GIN
indexes on PostgreSQL) is kept in step with this table by database triggers created
in the migration, so bulk SQL loads are indexed exactly like rows written here.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Language


class Scope(models.TextChoices):
    ARTICLE = "article"
    TICKET = "ticket"  # the subject of a ticket
    MESSAGE = "message"  # one message of a ticket's conversation


class SearchDocument(models.Model):
    scope = models.CharField(max_length=8, choices=Scope.choices)
    object_id = models.BigIntegerField()
    # Tickets and messages: the ticket, for permission checks and grouping.
    ticket_id = models.BigIntegerField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # Articles: draft / published / internal; messages: "internal" for notes.
    status = models.CharField(max_length=16, blank=True)
    title = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    title_terms = models.TextField(blank=True)
    # Articles: the terms of the Markdown headings, weighed between title and body.
    heading_terms = models.TextField(blank=True, db_default="")
    body_terms = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "object_id"], name="search_doc_unique")
        ]
        indexes = [models.Index(fields=["ticket_id"], name="search_doc_ticket")]

    def __str__(self) -> str:
        return f"{self.scope} {self.object_id}"


class SynonymGroup(models.Model):
    """Phrases customers and articles use for one thing, in one language.

    "деньги не пришли" ~ "платёж не зачислен": a query holding every word of one phrase
    also looks for the others (weighed below the customer's own words). The desk
    ships a default vocabulary (`search/synonyms/<language>.txt`), loaded by the
    migration; administrators edit it in the console or through the API.
    """

    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    phrases = models.JSONField(_("phrases"), default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["language", "id"]
        indexes = [models.Index(fields=["language"], name="search_synonym_language")]

    def __str__(self) -> str:
        return " ~ ".join(self.phrases)
