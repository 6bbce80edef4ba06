# ruff: noqa: RUF003, S608  (SQL from fixed fragments; values are parameters)
"""The two engines behind one interface: SQLite FTS5 and PostgreSQL full-text search.

Both receive the same stemmed query terms (see `text.py`) and return candidate
document ids with the engine's own relevance: for articles the title weighs most, then
the headings, then the body (FTS5's bm25 column weights; PostgreSQL's tsvector weights
A, B and C); for tickets the subject above the messages.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction

from opora.search.text import QueryTerm

# Ticket conversations can hold millions of messages: the engine ranks at most this
# many matches so a query on a common word stays fast.
TICKET_CANDIDATES = 200
# A query whose every word is among the index's most common ones matches a large share
# of the documents, and PostgreSQL's GIN index builds the bitmap of all of them before
# the first row comes out (hundreds of milliseconds over millions of messages). Such a
# query is first answered from the newest documents: this many rows, walked backwards
# by id, a fixed cost whatever the size of the desk.
RECENT_WINDOW = 20_000


@dataclass(frozen=True)
class Filters:
    statuses: Sequence[str] = ()  # articles: allowed statuses
    language: str | None = None
    include_internal_notes: bool = True
    # Tickets: SQL (with params) selecting the ticket ids the viewer may see; None: all.
    visible_tickets_sql: tuple[str, Sequence[Any]] | None = None


def _parts(qt: QueryTerm, *, prefixes: bool) -> tuple[list[str], list[str]]:
    """Exact forms and prefixes of a term; forms a prefix already covers are dropped."""
    if not prefixes:
        return list(dict.fromkeys(qt.forms)), []
    heads = list(dict.fromkeys(qt.prefixes))
    exact = [f for f in dict.fromkeys(qt.forms) if not f.startswith(tuple(heads))]
    return exact, heads


def _fts5_forms(qt: QueryTerm, *, prefixes: bool = True) -> list[str]:
    exact, heads = _parts(qt, prefixes=prefixes)
    return [f'"{form}"' for form in exact] + [f'"{head}"*' for head in heads]


def _ts_forms(qt: QueryTerm, *, prefixes: bool = True) -> list[str]:
    # Terms are [0-9a-zа-я]+ only (see text.py), so they need no quoting.
    exact, heads = _parts(qt, prefixes=prefixes)
    return exact + [f"{head}:*" for head in heads]


def _fts5_all(terms: list[QueryTerm], prefixes: tuple[int, ...] = ()) -> str:
    """An FTS5 expression matching every term (any of its forms; a prefix for the
    terms at `prefixes`)."""
    return " AND ".join(
        "(" + " OR ".join(_fts5_forms(qt, prefixes=i in prefixes)) + ")"
        for i, qt in enumerate(terms)
    )


def _fts5_query(terms: list[QueryTerm]) -> str:
    """Any term, prefixes included: customers' words for the same thing vary."""
    return " OR ".join(dict.fromkeys(f for qt in terms for f in _fts5_forms(qt)))


def _tsquery(terms: list[QueryTerm]) -> str:
    return " | ".join(dict.fromkeys(f for qt in terms for f in _ts_forms(qt)))


def _article_filters(filters: Filters, alias: str) -> tuple[str, list[Any]]:
    sql = ""
    params: list[Any] = []
    if filters.statuses:
        sql += f" AND {alias}.status IN ({', '.join(['%s'] * len(filters.statuses))})"
        params += list(filters.statuses)
    if filters.language:
        sql += f" AND {alias}.language = %s"
        params.append(filters.language)
    return sql, params


def _ticket_filters(filters: Filters, alias: str) -> tuple[str, list[Any]]:
    sql = ""
    params: list[Any] = []
    if not filters.include_internal_notes:
        sql += f" AND {alias}.status <> 'internal'"
    if filters.visible_tickets_sql is not None:
        sub, sub_params = filters.visible_tickets_sql
        sql += f" AND {alias}.ticket_id IN ({sub})"
        params += list(sub_params)
    return sql, params


# The SQL below is assembled from fixed fragments only; every value is a parameter.
def match_articles(terms: list[QueryTerm], filters: Filters, limit: int) -> list[int]:
    if connection.vendor == "postgresql":
        where, params = _article_filters(filters, "d")
        sql = (
            "SELECT d.id FROM search_searchdocument d, to_tsquery('simple', %s) q "
            "WHERE d.scope = 'article' AND d.vector @@ q" + where + " "
            "ORDER BY ts_rank(d.vector, q) DESC, d.id LIMIT %s"
        )
        args: list[Any] = [_tsquery(terms), *params, limit]
    else:
        where, params = _article_filters(filters, "d")
        sql = (
            "SELECT d.id FROM search_fts_article f "
            "JOIN search_searchdocument d ON d.id = f.rowid "
            "WHERE search_fts_article MATCH %s" + where + " "
            "ORDER BY bm25(search_fts_article, 5.0, 3.0, 1.0), d.id LIMIT %s"
        )
        args = [_fts5_query(terms), *params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [row[0] for row in cursor.fetchall()]


def match_tickets(terms: list[QueryTerm], filters: Filters, limit: int) -> list[int]:
    """Documents holding every query term: exact stems first, then prefixes where needed.

    Prefixes of common stems expand to long posting lists over millions of messages
    (an AND of several prefixes costs PostgreSQL's GIN index tens of milliseconds), so
    a prefix is only tried for a term whose exact stems occur nowhere in the
    conversations: a word typed half-way or in a form the stemmer did not join. When
    every term exists as typed, no document holds them all and prefixes would not
    change that.
    """
    found = _match_tickets(terms, filters, limit, prefixes=())
    if found:
        return found
    unknown = _unknown_terms(terms)
    if not unknown:
        return []
    return _match_tickets(terms, filters, limit, prefixes=unknown)


# Lexemes PostgreSQL's statistics call most common in the index, per process.
_COMMON_TTL = 600.0
_common: tuple[float, frozenset[str]] = (-_COMMON_TTL, frozenset())


def _common_lexemes() -> frozenset[str]:
    """The index's most common lexemes (from ANALYZE), re-read every ten minutes."""
    global _common
    read_at, lexemes = _common
    if time.monotonic() - read_at < _COMMON_TTL:
        return lexemes
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[] FROM pg_stats "
            "WHERE tablename = 'search_searchdocument' AND attname = 'vector'"
        )
        rows = cursor.fetchall()
    lexemes = frozenset(word for row in rows for word in (row[0] or ()))
    _common = (time.monotonic(), lexemes)
    return lexemes


def _unknown_terms(terms: list[QueryTerm]) -> tuple[int, ...]:
    """Positions of the terms none of whose exact forms is in any ticket document."""
    if connection.vendor == "postgresql":
        # A common word is known from the statistics; a rare one is probed through the
        # GIN index (a short posting list). A sequential scan would be the planner's
        # choice for EXISTS, and reads the whole table for a word that is not there.
        common = _common_lexemes()
        probe = [i for i, qt in enumerate(terms) if not common.intersection(qt.forms)]
        if not probe:
            return ()
        probes = ", ".join(
            "EXISTS (SELECT 1 FROM search_searchdocument d WHERE d.scope <> 'article' "
            "AND d.vector @@ to_tsquery('simple', %s))"
            for _ in probe
        )
        args: list[Any] = [" | ".join(_ts_forms(terms[i], prefixes=False)) for i in probe]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"SELECT {probes}", args)
            row = cursor.fetchone() or ()
        return tuple(i for i, present in zip(probe, row, strict=True) if not present)
    probes = ", ".join(
        "EXISTS (SELECT 1 FROM search_fts_ticket WHERE search_fts_ticket MATCH %s)" for _ in terms
    )
    args = [" OR ".join(_fts5_forms(qt, prefixes=False)) for qt in terms]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {probes}", args)
        row = cursor.fetchone() or ()
    return tuple(i for i, present in enumerate(row) if not present)


def _candidates(
    query: str, filters: Filters, *, recent: bool, joined: bool = False
) -> list[tuple[int, int | None]]:
    """Up to TICKET_CANDIDATES matching documents as (id, ticket id), best first
    (PostgreSQL): from the newest RECENT_WINDOW documents when `recent`, else as the GIN
    index hands them over (no sort of all matches: a common word cannot make it slow).
    The viewer's visibility is joined in only when `joined` (see `_match_tickets_pg`)."""
    shown = filters if joined else replace(filters, visible_tickets_sql=None)
    where, params = _ticket_filters(shown, "d")
    source = (
        "(SELECT id, vector, scope, status, ticket_id FROM search_searchdocument "
        "ORDER BY id DESC LIMIT %s)"
        if recent
        else "search_searchdocument"
    )
    sql = (
        f"SELECT c.id, c.ticket_id FROM (SELECT d.id, d.ticket_id, d.vector FROM {source} d, "
        "to_tsquery('simple', %s) q WHERE d.scope <> 'article' AND d.vector @@ q"
        + where
        + " LIMIT %s) c, to_tsquery('simple', %s) q "
        "ORDER BY ts_rank(c.vector, q) DESC, c.id DESC"
    )
    args = [*([RECENT_WINDOW] if recent else []), query, *params, TICKET_CANDIDATES, query]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _visible(candidates: list[tuple[int, int | None]], filters: Filters) -> list[int]:
    """The candidates whose tickets the viewer may see, in order: their few ticket ids
    are looked up through the viewer's condition (index lookups), where a join with
    that condition would read every ticket the viewer may see (a million on a large
    desk) to build a hash."""
    if filters.visible_tickets_sql is None:
        return [doc for doc, _ in candidates]
    tickets = list({t for _, t in candidates if t is not None})
    if not tickets:
        return []
    sub, params = filters.visible_tickets_sql
    if connection.vendor == "postgresql":
        among, args = "= ANY(%s)", [*params, tickets]
    else:
        among, args = f"IN ({', '.join(['%s'] * len(tickets))})", [*params, *tickets]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v.id FROM ({sub}) v WHERE v.id {among}", args)
        seen = {row[0] for row in cursor.fetchall()}
    return [doc for doc, ticket in candidates if ticket in seen]


def _all_common(terms: list[QueryTerm]) -> bool:
    """Whether every term has a form among the index's most common lexemes."""
    common = _common_lexemes()
    return all(common.intersection(qt.forms) for qt in terms)


def _match_tickets_pg(
    terms: list[QueryTerm], filters: Filters, limit: int, *, prefixes: tuple[int, ...]
) -> list[int]:
    """Candidates first (the newest documents for a query of common words, else the
    index's), then the viewer's visibility; the whole index with the visibility joined
    in only when that leaves too few (an agent who sees a small part of a large desk)."""
    query = " & ".join(
        "(" + " | ".join(_ts_forms(qt, prefixes=i in prefixes)) + ")" for i, qt in enumerate(terms)
    )
    attempts = [True, False] if not prefixes and _all_common(terms) else [False]
    for recent in attempts:
        candidates = _candidates(query, filters, recent=recent)
        shown = _visible(candidates, filters)
        # Fewer candidates than the cap from the whole index: every match was seen.
        if len(shown) >= limit or (not recent and len(candidates) < TICKET_CANDIDATES):
            return shown[:limit]
    candidates = _candidates(query, filters, recent=False, joined=True)
    return [doc for doc, _ticket in candidates[:limit]]


def _match_tickets(
    terms: list[QueryTerm], filters: Filters, limit: int, *, prefixes: tuple[int, ...]
) -> list[int]:
    if connection.vendor == "postgresql":
        return _match_tickets_pg(terms, filters, limit, prefixes=prefixes)
    match = _fts5_all(terms, prefixes)
    # SQLite FTS5: bm25 reads every match of each word for its statistics (0.85 s for a
    # common word at 100,000 tickets, however few rows it ranks). So the newest
    # TICKET_CANDIDATES matches come first, newest first (FTS5 walks its lists newest
    # first and stops there); the service ranks them by coverage. Fewer than that are
    # all the matches, and bm25 over them is cheap.
    candidates = _newest_candidates(match, filters)
    if len(candidates) >= TICKET_CANDIDATES:
        shown = _visible(candidates, filters)
        if len(shown) >= limit:
            return shown[:limit]
    # Few matches, or an agent who sees a small part of the desk: every match, ranked.
    where, params = _ticket_filters(filters, "d")
    sql = (
        "SELECT d.id FROM search_fts_ticket f "
        "JOIN search_searchdocument d ON d.id = f.rowid "
        "WHERE search_fts_ticket MATCH %s" + where + " "
        "ORDER BY bm25(search_fts_ticket, 5.0, 1.0), d.id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, limit])
        return [row[0] for row in cursor.fetchall()]


def _newest_candidates(match: str, filters: Filters) -> list[tuple[int, int | None]]:
    """The newest TICKET_CANDIDATES matching documents as (id, ticket id), newest first
    (SQLite), without the viewer's visibility."""
    where, params = _ticket_filters(replace(filters, visible_tickets_sql=None), "d")
    sql = (
        "SELECT d.id, d.ticket_id FROM search_fts_ticket f "
        "JOIN search_searchdocument d ON d.id = f.rowid "
        "WHERE search_fts_ticket MATCH %s" + where + " ORDER BY f.rowid DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, TICKET_CANDIDATES])
        return [(row[0], row[1]) for row in cursor.fetchall()]


# SQLite: a text filter whose words are in at least DENSE_SHARE of the newest
# DENSE_SAMPLE documents is checked ticket by ticket as the list walks its own order.
DENSE_SAMPLE = 2_000
DENSE_SHARE = 0.1


def ticket_exists_sql(terms: list[QueryTerm], filters: Filters) -> tuple[str, list[Any]] | None:
    """SQLite: a condition (with params) that the ticket whose id column stands for
    `{ticket}` has a document holding every term, when the terms are common; None
    otherwise (or on PostgreSQL): then `ticket_ids_sql` serves.

    As `id IN (ticket_ids_sql)` SQLite reads every match first: 0.45 s for a word in
    every ticket at 100,000 tickets, where the list needs 26 rows. Checked per ticket
    along the list's index instead, a common word is found in the first few tickets;
    a rarer one would make that walk long, so the share of matches among the newest
    documents decides (FTS5 reads its lists by rowid range: a cheap count)."""
    if connection.vendor == "postgresql":
        return None
    match = _fts5_all(terms)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), (SELECT MAX(id) FROM search_searchdocument) - %s "
            "FROM search_fts_ticket WHERE search_fts_ticket MATCH %s "
            "AND rowid > (SELECT MAX(id) FROM search_searchdocument) - %s",
            [DENSE_SAMPLE, match, DENSE_SAMPLE],
        )
        found, start = cursor.fetchone()
    if start is None or start < 0 or found < DENSE_SHARE * DENSE_SAMPLE:
        return None  # a small index, or a rarer word: the id list is cheap
    where, params = _ticket_filters(filters, "d")
    sql = (
        "EXISTS (SELECT 1 FROM search_searchdocument d "
        "JOIN search_fts_ticket f ON f.rowid = d.id "
        "WHERE d.ticket_id = {ticket} AND search_fts_ticket MATCH %s" + where + ")"
    )
    return sql, [match, *params]


def ticket_ids_sql(terms: list[QueryTerm], filters: Filters) -> tuple[str, list[Any]]:
    """SQL (with params) selecting the ids of tickets whose subject or a message holds
    every term: the ticket list's text filter, answered by the same index search uses.

    Exact stems only: a prefix of a common stem expands to a long posting list, and the
    list filters and orders the ids it gets (the stemmer already joins word forms).
    """
    where, params = _ticket_filters(filters, "d")
    if connection.vendor == "postgresql":
        query = " & ".join("(" + " | ".join(_ts_forms(qt, prefixes=False)) + ")" for qt in terms)
        sql = (
            "SELECT d.ticket_id FROM search_searchdocument d "
            "WHERE d.scope <> 'article' AND d.vector @@ to_tsquery('simple', %s)" + where
        )
        return sql, [query, *params]
    match = _fts5_all(terms)
    sql = (
        "SELECT d.ticket_id FROM search_fts_ticket f "
        "JOIN search_searchdocument d ON d.id = f.rowid "
        "WHERE search_fts_ticket MATCH %s" + where
    )
    return sql, [match, *params]
