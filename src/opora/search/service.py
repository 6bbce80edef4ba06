"""One search service for the help center, the agent's sidebar and the answer bot.

Writers call `index_*` inside their transaction (a few milliseconds: the index can
never disagree with the data). Readers call `search_articles` / `search_tickets`:
query terms are stemmed (articles: Russian lemmas too), corrected against the
knowledge-base vocabulary when a word is unknown (typos), expanded with the support
synonym vocabulary (articles), matched by the engine, then re-ranked in Python
(`ranking.py` for articles: the same order on every engine) and returned with a
highlighted snippet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from django.utils import timezone

from opora.core.bulk import upsert_rows
from opora.search import corpus, ranking, synonyms
from opora.search.backends import (
    Filters,
    match_articles,
    match_tickets,
    ticket_exists_sql,
    ticket_ids_sql,
)
from opora.search.models import Scope, SearchDocument
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
# Articles: more, since ranking here decides between near-duplicates the engine's
# own rank cannot tell apart; a knowledge base is small beside the conversations.
ARTICLE_CANDIDATES = 100
# A long complaint is read in full (up to this many distinct words), not its start.
ARTICLE_QUERY_TERMS = 48

# The learned boost: given the query and the candidate articles' ids, 0..1 for each
# (what customers opened and found helpful); ranking keeps it small.
Boost = Callable[[list[QueryTerm], list[int]], Mapping[int, float]]


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
    headings: str = "",
) -> SearchDocument:
    body = body[:MAX_INDEXED_CHARS]
    lemmas = scope == Scope.ARTICLE
    return SearchDocument(
        scope=scope,
        object_id=object_id,
        title=title[:255],
        body=body,
        title_terms=index_text(title, lemmas=lemmas),
        heading_terms=index_text(headings, lemmas=lemmas),
        body_terms=index_text(body, lemmas=lemmas),
        language=language,
        status=status,
        ticket_id=ticket_id,
        updated_at=timezone.now(),
    )


_UPDATED = [
    "title",
    "body",
    "title_terms",
    "heading_terms",
    "body_terms",
    "language",
    "status",
    "ticket_id",
    "updated_at",
]


def _save_documents(docs: list[SearchDocument]) -> None:
    # One INSERT … ON CONFLICT DO UPDATE (both engines): no read, no savepoint.
    upsert_rows(SearchDocument, docs, unique=["scope", "object_id"], update=_UPDATED)


def index_article(
    article_id: int, *, title: str, body: str, language: str, status: str, headings: str = ""
) -> None:
    """Index an article; `headings` are its Markdown headings (`text.markdown_headings`)."""
    doc = _document(
        Scope.ARTICLE,
        article_id,
        title=title,
        body=body,
        language=language,
        status=status,
        headings=headings,
    )
    _save_documents([doc])
    corpus.changed()


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
    if scope == Scope.ARTICLE:
        corpus.changed()


def reanalyze_articles() -> int:
    """Recompute every article document's terms from its stored text (after the text
    analysis changed); returns how many. Headings come back as each article is saved."""
    docs = list(SearchDocument.objects.filter(scope=Scope.ARTICLE))
    for doc in docs:
        doc.title_terms = index_text(doc.title, lemmas=True)
        doc.body_terms = index_text(doc.body, lemmas=True)
    SearchDocument.objects.bulk_update(docs, ["title_terms", "body_terms"], batch_size=500)
    corpus.changed()
    return len(docs)


def _correct(query: list[QueryTerm]) -> list[QueryTerm]:
    """Add close vocabulary terms for query terms the knowledge base does not know."""
    if not query:
        return query
    known = corpus.corpus()
    corrected: list[QueryTerm] = []
    for qt in query:
        if any(known.knows(f) for f in qt.forms):
            corrected.append(qt)
            continue
        close = known.corrections(qt.term)
        alternatives = tuple(dict.fromkeys((*qt.alternatives, *close)))
        corrected.append(replace(qt, alternatives=alternatives))
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
    boost: Boost | None = None,
) -> list[Hit]:
    """Articles matching `q` among those with the given statuses, best first."""
    query = _correct(query_terms(q, limit=ARTICLE_QUERY_TERMS, lemmas=True))
    if not query or not statuses:
        return []
    expansions = synonyms.expand(query, language)
    engine_terms = [*query, *(t for e in expansions for t in e.terms)]
    filters = Filters(statuses=statuses, language=language)
    ids = match_articles(engine_terms, filters, max(ARTICLE_CANDIDATES, limit))
    # Terms only: the bodies (up to 20,000 characters each) are read for the hits shown.
    rows = {
        d.pk: d
        for d in SearchDocument.objects.filter(pk__in=ids).only(
            "object_id", "title", "language", "title_terms", "heading_terms", "body_terms"
        )
    }
    docs = [
        ranking.Document(
            id=rows[i].object_id,
            title=rows[i].title,
            title_terms=rows[i].title_terms,
            heading_terms=rows[i].heading_terms,
            body_terms=rows[i].body_terms,
        )
        for i in ids
        if i in rows
    ]
    boosts = dict(boost(query, [d.id for d in docs])) if boost and docs else {}
    ranked = ranking.rank(docs, query, expansions, corpus.corpus(), boosts)
    shown = [r for r in ranked[:limit] if r.score > 0]
    by_object = {
        d.object_id: d
        for d in SearchDocument.objects.filter(
            scope=Scope.ARTICLE, object_id__in=[r.doc.id for r in shown]
        ).only("object_id", "body", "language")
    }
    highlighted = [*query, *(t for e in expansions for t in e.terms)]
    return [
        Hit(
            scope=Scope.ARTICLE,
            object_id=r.doc.id,
            ticket_id=None,
            title=r.doc.title,
            snippet=highlight(by_object[r.doc.id].body or r.doc.title, highlighted),
            score=r.score,
            language=by_object[r.doc.id].language,
            title_match=r.title_share,
        )
        for r in shown
    ]


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


def ticket_ids_matching(q: str, *, include_internal_notes: bool) -> tuple[str, list[object]] | None:
    """SQL (with params) selecting the ids of tickets whose subject or messages hold every
    word of `q` (stemmed), for a list to filter and order; None when `q` has no word
    to look for. Callers restrict it to what the viewer may see."""
    query = query_terms(q)
    if not query:
        return None
    filters = Filters(include_internal_notes=include_internal_notes)
    return ticket_ids_sql(query, filters)


def ticket_condition_if_common(
    q: str, *, include_internal_notes: bool
) -> tuple[str, list[object]] | None:
    """`backends.ticket_exists_sql` for `q`: a per-ticket condition (its ticket id column
    written `{ticket}`) when the words are common on SQLite, else None."""
    query = query_terms(q)
    if not query:
        return None
    filters = Filters(include_internal_notes=include_internal_notes)
    return ticket_exists_sql(query, filters)
