"""Knowledge-base search: quality on the demo content, latency at scale on PostgreSQL.

    .venv/bin/python bench/kb_search.py                              # SQLite: quality
    scripts/with-postgres .venv/bin/python bench/kb_search.py        # PostgreSQL: both

Quality, the demo set: 68 customer queries (typos, colloquial words, other word
forms), each with the demo article it should find; recall@1, recall@3 and MRR.
Quality, the hard set (`kb_search_hard.py`): a knowledge base of its own, 62 ru/en
articles in groups of near-duplicates, and 200+ customer-style queries; recall@1,
recall@3, MRR and p50/p95 latency per language and overall, and how long indexing the
set takes (loaded in a transaction that is rolled back). Latency (PostgreSQL): 10,000
articles and 1,000,000 ticket messages generated with bulk SQL from the demo
sentences, then every query timed against articles and against tickets.
The last line is a JSON object with all figures.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
if not os.environ.get("OPORA_DATABASE_URL"):
    os.environ["OPORA_DATA_DIR"] = tempfile.mkdtemp(prefix="opora-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django  # noqa: E402

django.setup()

import inspect  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench import kb_search_hard  # noqa: E402
from bench.kb_search_queries import QUERIES  # noqa: E402
from opora.accounts.actions import create_user  # noqa: E402
from opora.accounts.models import User  # noqa: E402
from opora.demo.kb import demo_content, load_demo_articles  # noqa: E402
from opora.kb.actions import create_article  # noqa: E402
from opora.kb.models import Article  # noqa: E402
from opora.kb.selectors import search_articles  # noqa: E402
from opora.search import service  # noqa: E402
from opora.search.text import index_text  # noqa: E402

ARTICLES = int(os.environ.get("BENCH_ARTICLES", "10000"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "1000000"))


def quality(ids: dict[str, int]) -> dict[str, float]:
    by_id = {v: k for k, v in ids.items()}
    hits_at_1 = 0
    hits_at_3 = 0
    reciprocal = 0.0
    for language, query, expected in QUERIES:
        found = service.search_articles(
            query, statuses=("published", "internal"), language=language, limit=10
        )
        keys = [by_id.get(h.object_id, "?") for h in found]
        rank = keys.index(expected) + 1 if expected in keys else None
        if rank == 1:
            hits_at_1 += 1
        if rank is not None and rank <= 3:
            hits_at_3 += 1
        if rank is not None:
            reciprocal += 1 / rank
        if rank is None or rank > 3:
            print(f"  miss: {query!r} -> {keys[:3]} (wanted {expected}, rank {rank})")
    n = len(QUERIES)
    return {
        "queries": n,
        "recall_at_1": round(hits_at_1 / n, 4),
        "recall_at_3": round(hits_at_3 / n, 4),
        "mrr": round(reciprocal / n, 4),
    }


def _index_all(articles: list[Article]) -> float:
    """Seconds to index the articles again through the search service."""
    from opora.search import text

    takes_headings = "headings" in inspect.signature(service.index_article).parameters
    started = time.perf_counter()
    for article in articles:
        # (The code before headings were a field has no `markdown_headings`.)
        extra = {"headings": text.markdown_headings(article.body)} if takes_headings else {}
        service.index_article(
            article.pk,
            title=article.title,
            body=text.plain_markdown(article.body),
            language=article.language,
            status=article.status,
            **extra,
        )
    return time.perf_counter() - started


def _figures(ranks: list[int | None], ms: list[float]) -> dict[str, float]:
    n = len(ranks)
    return {
        "queries": n,
        "recall_at_1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "recall_at_3": round(sum(1 for r in ranks if r is not None and r <= 3) / n, 4),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
    }


def hard_quality(author: User) -> dict[str, object]:
    """The hard set in a knowledge base of its own (rolled back afterwards)."""
    results: dict[str, object] = {}
    with transaction.atomic():
        started = time.perf_counter()
        ids: dict[str, int] = {}
        articles = []
        for key, language, title, body in kb_search_hard.ARTICLES:
            article = create_article(
                by=author,
                title=title,
                body=body.replace(" ## ", "\n\n## "),
                language=language,
                status="published",
            )
            ids[f"{key}:{language}"] = article.pk
            articles.append(article)
        results["hard_articles"] = len(articles)
        results["hard_create_s"] = round(time.perf_counter() - started, 3)
        results["hard_reindex_ms"] = round(_index_all(articles) * 1000, 1)
        by_id = {v: k for k, v in ids.items()}
        for query in kb_search_hard.QUERIES[:20]:  # warm the caches
            search_articles(None, query[1], language=query[0], limit=10)
        ranks: dict[str, list[int | None]] = {"en": [], "ru": []}
        ms: dict[str, list[float]] = {"en": [], "ru": []}
        for language, query, expected in kb_search_hard.QUERIES:
            started = time.perf_counter()
            found = search_articles(None, query, language=language, limit=10)
            ms[language].append((time.perf_counter() - started) * 1000)
            keys = [by_id.get(h.object_id, "?") for h in found]
            rank = keys.index(expected) + 1 if expected in keys else None
            ranks[language].append(rank)
            if rank != 1:
                print(f"  hard miss: {query!r} -> {keys[:3]} (wanted {expected}, rank {rank})")
        for language in ("en", "ru"):
            results[f"hard_{language}"] = _figures(ranks[language], ms[language])
        results["hard_all"] = _figures(ranks["en"] + ranks["ru"], ms["en"] + ms["ru"])
        transaction.set_rollback(True)
    changed = getattr(service, "corpus", None)
    if changed is not None:
        changed.changed()
    return results


def sentences() -> list[tuple[str, str]]:
    """(text, stemmed terms) of every sentence of the demo articles."""
    _, articles = demo_content()
    out = []
    for spec in articles:
        for language in ("en", "ru"):
            for part in spec[language]["body"].replace("\n", " ").split(". "):
                text = part.strip()
                if len(text) > 20:
                    out.append((text, index_text(text)))
    return out


def generate(articles: int, messages: int) -> dict[str, float]:
    """Bulk-load synthetic articles and messages; the GIN indexes are rebuilt afterwards."""
    pool = sentences()
    texts = [t for t, _ in pool]
    terms = [s for _, s in pool]
    timings = {}
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '900s'")
        cursor.execute("DROP INDEX IF EXISTS search_doc_article_gin")
        cursor.execute("DROP INDEX IF EXISTS search_doc_ticket_gin")
        started = time.perf_counter()
        # Each generated document combines pseudo-random demo sentences (multiplicative
        # hashing of the row number), so term frequencies resemble real text.
        cursor.execute(
            """
            INSERT INTO search_searchdocument
              (scope, object_id, ticket_id, language, status, title, body,
               title_terms, body_terms, updated_at)
            SELECT 'article', 10000000 + g, NULL, CASE WHEN g %% 2 = 0 THEN 'en' ELSE 'ru' END,
                   'published', left(t[1 + (g * 7919) %% n], 200),
                   t[1 + (g * 104729) %% n] || ' ' || t[1 + (g * 1299709) %% n],
                   s[1 + (g * 7919) %% n],
                   s[1 + (g * 104729) %% n] || ' ' || s[1 + (g * 1299709) %% n], now()
            FROM generate_series(1::bigint, %s::bigint) g,
                 (SELECT %s::text[] AS t, %s::text[] AS s, %s::int AS n) pool
            """,
            [articles, texts, terms, len(texts)],
        )
        timings["articles_load_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        batch = 250_000
        for offset in range(0, messages, batch):
            cursor.execute(
                """
                INSERT INTO search_searchdocument
                  (scope, object_id, ticket_id, language, status, title, body,
                   title_terms, body_terms, updated_at)
                SELECT 'message', 20000000 + g, 1 + g / 5, '',
                       CASE WHEN g %% 10 = 0 THEN 'internal' ELSE '' END, '',
                       t[1 + (g * 15485863) %% n] || ' ' || t[1 + (g * 32452843) %% n],
                       '',
                       s[1 + (g * 15485863) %% n] || ' ' || s[1 + (g * 32452843) %% n], now()
                FROM generate_series(%s::bigint, %s::bigint) g,
                     (SELECT %s::text[] AS t, %s::text[] AS s, %s::int AS n) pool
                """,
                [
                    offset + 1,
                    min(offset + batch, messages),
                    texts,
                    terms,
                    len(texts),
                ],
            )
        timings["messages_load_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        cursor.execute(
            "CREATE INDEX search_doc_article_gin ON search_searchdocument USING gin (vector) "
            "WHERE scope = 'article'"
        )
        cursor.execute(
            "CREATE INDEX search_doc_ticket_gin ON search_searchdocument USING gin (vector) "
            "WHERE scope <> 'article'"
        )
        cursor.execute("ANALYZE search_searchdocument")
        timings["index_build_s"] = round(time.perf_counter() - started, 1)
    return timings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency() -> dict[str, float]:
    article_ms: list[float] = []
    ticket_ms: list[float] = []
    for _ in range(2):  # the first round also warms the caches; both are counted
        for language, query, _expected in QUERIES:
            started = time.perf_counter()
            service.search_articles(query, statuses=("published",), language=language, limit=10)
            article_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            service.search_tickets(
                query, visible_tickets_sql=None, include_internal_notes=True, limit=20
            )
            ticket_ms.append((time.perf_counter() - started) * 1000)
    return {
        "articles_p50_ms": round(statistics.median(article_ms), 1),
        "articles_p95_ms": round(percentile(article_ms, 95), 1),
        "tickets_p50_ms": round(statistics.median(ticket_ms), 1),
        "tickets_p95_ms": round(percentile(ticket_ms, 95), 1),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    author = create_user(
        email="kb-bench@desk.test", name="Bench", password=None, role="admin", by=None
    )
    results: dict[str, object] = {"engine": connection.vendor}
    results.update(hard_quality(author))
    for part in ("hard_en", "hard_ru", "hard_all"):
        f = results[part]
        assert isinstance(f, dict)
        print(
            f"{part}: recall@1 {f['recall_at_1']}  recall@3 {f['recall_at_3']}  MRR {f['mrr']}  "
            f"p50 {f['p50_ms']} ms  p95 {f['p95_ms']} ms  ({f['queries']} queries)"
        )
    print(
        f"hard set: {results['hard_articles']} articles indexed in {results['hard_reindex_ms']} ms"
    )
    ids = load_demo_articles(by=author)
    articles = sum(1 for k in ids if not k.startswith("category:"))
    print(f"engine {connection.vendor}; demo articles: {articles}")
    results["demo_articles"] = articles
    results.update(quality(ids))
    print(
        f"demo set: recall@1 {results['recall_at_1']}  recall@3 {results['recall_at_3']}  "
        f"MRR {results['mrr']}  ({results['queries']} queries)"
    )
    if connection.vendor == "postgresql":
        print(f"generating {ARTICLES} articles and {MESSAGES} messages ...")
        results.update(generate(ARTICLES, MESSAGES))
        results["articles_indexed"] = ARTICLES + articles
        results["messages_indexed"] = MESSAGES
        results.update(latency())
        print(
            f"articles p50 {results['articles_p50_ms']} ms, p95 {results['articles_p95_ms']} ms; "
            f"tickets p50 {results['tickets_p50_ms']} ms, p95 {results['tickets_p95_ms']} ms"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
