"""One search service for the help center, the agent's sidebar and the answer bot.

Writers call `index_*` inside their transaction (a few milliseconds: the index can
never disagree with the data). Readers call `search_articles` / `search_tickets`:
query terms are stemmed, corrected against the knowledge-base vocabulary when a word
is unknown (typos), matched by the engine, then re-ranked by how much of the query
each document covers, and returned with a highlighted snippet.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db.models import Q
from django.utils import timezone

from opora.core.bulk import insert_rows
from opora.search.backends import Filters, match_articles, match_tickets
from opora.search.models import Scope, SearchDocument, SearchTerm
from opora.search.text import (
    MAX_INDEXED_CHARS,
    QueryTerm,
    coverage,
    highlight,
    index_text,
    query_terms,
    title_coverage,
)


class Ticket(Protocol):
    """What indexing needs of a ticket (search builds on nothing above it)."""

    pk: int
    subject: str
    language: str


class Message(Protocol):
    pk: int
    ticket_id: int
    body: str
    internal: bool


# Candidates fetched from the engine before re-ranking.
CANDIDATES = 30


@dataclass(frozen=True)
class Hit:
    scope: str
    object_id: int
    ticket_id: int | None
    title: str
    snippet: str
    score: float
    language: str
    # How much of the title the query names (0..1): the bot's confidence uses it.
    title_match: float = 0.0

    @property
    def confidence(self) -> float:
        return max(self.score, self.title_match)


def _document(
    scope: str,
    object_id: int,
    *,
    title: str,
    body: str,
    language: str = "",
    status: str = "",
    ticket_id: int | None = None,
) -> SearchDocument:
    body = body[:MAX_INDEXED_CHARS]
    return SearchDocument(
        scope=scope,
        object_id=object_id,
        title=title[:255],
        body=body,
        title_terms=index_text(title),
        body_terms=index_text(body),
        language=language,
        status=status,
        ticket_id=ticket_id,
        updated_at=timezone.now(),
    )


_UPDATED = [
    "title",
    "body",
    "title_terms",
    "body_terms",
    "language",
    "status",
    "ticket_id",
    "updated_at",
]


def _save_documents(docs: list[SearchDocument]) -> None:
    # One INSERT … ON CONFLICT DO UPDATE (both engines): no read, no savepoint.
    insert_rows(SearchDocument, docs, unique=["scope", "object_id"], update=_UPDATED)


def index_article(article_id: int, *, title: str, body: str, language: str, status: str) -> None:
    doc = _document(
        Scope.ARTICLE, article_id, title=title, body=body, language=language, status=status
    )
    _save_documents([doc])
    vocabulary = {t for t in f"{doc.title_terms} {doc.body_terms}".split() if len(t) <= 64}
    SearchTerm.objects.bulk_create(
        [SearchTerm(term=t) for t in sorted(vocabulary)], ignore_conflicts=True
    )


def _ticket_document(ticket_id: int, *, subject: str, language: str) -> SearchDocument:
    return _document(
        Scope.TICKET, ticket_id, title=subject, body="", language=language, ticket_id=ticket_id
    )


def _message_document(
    message_id: int, *, ticket_id: int, body: str, internal: bool
) -> SearchDocument:
    return _document(
        Scope.MESSAGE,
        message_id,
        title="",
        body=body,
        status="internal" if internal else "",
        ticket_id=ticket_id,
    )


def index_messages(messages: Sequence[Message]) -> None:
    """Index new messages (a reply, or many at once) in one statement."""
    _save_documents(
        [
            _message_document(m.pk, ticket_id=m.ticket_id, body=m.body, internal=m.internal)
            for m in messages
        ]
    )


def index_tickets_with_messages(pairs: Sequence[tuple[Ticket, Message]]) -> None:
    """Index many new tickets and their first messages in one statement."""
    docs: list[SearchDocument] = []
    for ticket, message in pairs:
        docs.append(_ticket_document(ticket.pk, subject=ticket.subject, language=ticket.language))
        docs.append(
            _message_document(
                message.pk, ticket_id=ticket.pk, body=message.body, internal=message.internal
            )
        )
    _save_documents(docs)


def move_ticket_documents(source_ticket_id: int, target_ticket_id: int) -> None:
    """Messages moved to another ticket (merge) are found under it."""
    SearchDocument.objects.filter(scope=Scope.MESSAGE, ticket_id=source_ticket_id).update(
        ticket_id=target_ticket_id
    )


def remove(scope: str, object_ids: Iterable[int]) -> None:
    SearchDocument.objects.filter(scope=scope, object_id__in=list(object_ids)).delete()


def _correct(query: list[QueryTerm]) -> list[QueryTerm]:
    """Add close vocabulary terms for query terms the knowledge base does not know."""
    if not query:
        return query
    # Typos rarely hit the first two letters: candidates share them (one query for all).
    guessable = [q.term for q in query if len(q.term) >= 5 and not q.term.isdigit()]
    if not guessable:
        return query
    condition = Q(term__in=guessable)
    for head in {t[:2] for t in guessable}:
        condition |= Q(term__startswith=head)
    vocabulary = list(SearchTerm.objects.filter(condition).values_list("term", flat=True)[:20000])
    known = set(vocabulary)
    corrected: list[QueryTerm] = []
    for qt in query:
        if qt.term in known or qt.term not in guessable:
            corrected.append(qt)
            continue
        size = len(qt.term)
        candidates = [c for c in vocabulary if c[:2] == qt.term[:2] and abs(len(c) - size) <= 2]
        close = difflib.get_close_matches(qt.term, candidates, n=3, cutoff=0.75)
        alternatives = tuple(dict.fromkeys((*qt.alternatives, *close)))
        corrected.append(QueryTerm(term=qt.term, prefix=qt.prefix, alternatives=alternatives))
    return corrected


def _hits(ids: Sequence[int], query: list[QueryTerm], limit: int) -> list[Hit]:
    docs = {d.pk: d for d in SearchDocument.objects.filter(pk__in=list(ids))}
    scored: list[tuple[float, int, SearchDocument]] = []
    for position, doc_id in enumerate(ids):
        doc = docs.get(doc_id)
        if doc is not None:
            score = coverage(query, doc.title_terms, doc.body_terms)
            scored.append((score, position, doc))
    # Coverage first (comparable across engines), the engine's order breaks ties.
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        Hit(
            scope=doc.scope,
            object_id=doc.object_id,
            ticket_id=doc.ticket_id,
            title=doc.title,
            snippet=highlight(doc.body or doc.title, query),
            score=score,
            language=doc.language,
            title_match=title_coverage(query, doc.title_terms),
        )
        for score, _, doc in scored[:limit]
    ]


def search_articles(
    q: str,
    *,
    statuses: Sequence[str],
    language: str | None = None,
    limit: int = 10,
) -> list[Hit]:
    """Articles matching `q` among those with the given statuses, best first."""
    query = _correct(query_terms(q))
    if not query or not statuses:
        return []
    filters = Filters(statuses=statuses, language=language)
    ids = match_articles(query, filters, max(CANDIDATES, limit))
    return _hits(ids, query, limit)


def search_tickets(
    q: str,
    *,
    visible_tickets_sql: tuple[str, Sequence[object]] | None,
    include_internal_notes: bool,
    limit: int = 20,
) -> list[Hit]:
    """Ticket subjects and messages matching `q`, restricted to the visible tickets."""
    query = _correct(query_terms(q))
    if not query:
        return []
    filters = Filters(
        include_internal_notes=include_internal_notes, visible_tickets_sql=visible_tickets_sql
    )
    ids = match_tickets(query, filters, max(CANDIDATES, limit))
    return _hits(ids, query, limit)
