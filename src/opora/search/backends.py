# ruff: noqa: RUF003, S608  (SQL from fixed fragments; values are parameters)
"""The two engines behind one interface: SQLite FTS5 and PostgreSQL full-text search.

Both receive the same stemmed query terms (see `text.py`) and return candidate
document ids with the engine's own relevance (title terms weigh more than body terms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from opora.search.text import QueryTerm

# Ticket conversations can hold millions of messages: the engine ranks at most this
# many matches (newest first) so a query on a common word stays fast.
TICKET_CANDIDATES = 200


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


def _fts5_query(terms: list[QueryTerm], *, all_terms: bool = False, prefixes: bool = True) -> str:
    """Any term (articles: customers' words vary) or every term (tickets: agents' lookups)."""
    if all_terms:
        return " AND ".join(
            "(" + " OR ".join(_fts5_forms(qt, prefixes=prefixes)) + ")" for qt in terms
        )
    return " OR ".join(dict.fromkeys(f for qt in terms for f in _fts5_forms(qt)))


def _tsquery(terms: list[QueryTerm], *, all_terms: bool = False, prefixes: bool = True) -> str:
    if all_terms:
        return " & ".join("(" + " | ".join(_ts_forms(qt, prefixes=prefixes)) + ")" for qt in terms)
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
            "ORDER BY bm25(search_fts_article, 5.0, 1.0), d.id LIMIT %s"
        )
        args = [_fts5_query(terms), *params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [row[0] for row in cursor.fetchall()]


def match_tickets(terms: list[QueryTerm], filters: Filters, limit: int) -> list[int]:
    """Documents holding every query term: exact stems first, then their prefixes.

    Prefixes of common stems expand to long posting lists over millions of messages,
    so they are only tried when the exact stems (which already join word forms)
    find nothing.
    """
    found = _match_tickets(terms, filters, limit, prefixes=False)
    if not found:
        found = _match_tickets(terms, filters, limit, prefixes=True)
    return found


def _match_tickets(
    terms: list[QueryTerm], filters: Filters, limit: int, *, prefixes: bool
) -> list[int]:
    if connection.vendor == "postgresql":
        where, params = _ticket_filters(filters, "d")
        # At most TICKET_CANDIDATES matches (as the index hands them over, no sort of
        # all matches) are ranked: a common word cannot make the query slow.
        sql = (
            "SELECT c.id FROM (SELECT d.id, d.vector FROM search_searchdocument d, "
            "to_tsquery('simple', %s) q WHERE d.scope <> 'article' AND d.vector @@ q"
            + where
            + " LIMIT %s) c, to_tsquery('simple', %s) q "
            "ORDER BY ts_rank(c.vector, q) DESC, c.id DESC LIMIT %s"
        )
        query = _tsquery(terms, all_terms=True, prefixes=prefixes)
        args: list[Any] = [query, *params, TICKET_CANDIDATES, query, limit]
    else:
        where, params = _ticket_filters(filters, "d")
        sql = (
            "SELECT d.id FROM search_fts_ticket f "
            "JOIN search_searchdocument d ON d.id = f.rowid "
            "WHERE search_fts_ticket MATCH %s" + where + " "
            "ORDER BY bm25(search_fts_ticket, 5.0, 1.0), d.id DESC LIMIT %s"
        )
        args = [_fts5_query(terms, all_terms=True, prefixes=prefixes), *params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [row[0] for row in cursor.fetchall()]
