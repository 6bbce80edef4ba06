"""The knowledge base's index as search needs it in memory: its vocabulary and how many
articles hold each term, per process.

Ranking weighs rare words above common ones (a near-duplicate article differs from
its neighbours by one rare word: "wallet" against "card"), and typo correction
compares an unknown query word with every term of its script. Both read this
snapshot, never the database, so a query pays no round trip for them. The snapshot
is rebuilt when the articles' index changes: at once in the process that indexed,
within `CHECK_EVERY` seconds in the others (one small query tells).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Max
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from opora.search.models import Scope, SearchDocument
from opora.search.text import is_cyrillic

CHECK_EVERY = 2.0
# Typos rarely hide a word shorter than this; short words are also too close to others.
MIN_TYPO_LENGTH = 4


@dataclass
class Corpus:
    documents: int
    df: dict[str, int]
    # (script, length) -> terms: a typo's candidates are within two letters of its length.
    by_length: dict[tuple[str, int], list[str]]
    _corrections: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency: a term in every article weighs almost 0."""
        df = self.df.get(term, 0)
        return math.log(1 + (self.documents - df + 0.5) / (df + 0.5))

    def knows(self, term: str) -> bool:
        return term in self.df

    def corrections(self, term: str) -> tuple[str, ...]:
        """The vocabulary's closest terms to an unknown one (Damerau-Levenshtein: one
        edit for words under seven letters, two from seven), most frequent first."""
        found = self._corrections.get(term)
        if found is None:
            found = self._closest(term)
            if len(self._corrections) < 50_000:
                self._corrections[term] = found
        return found

    def _closest(self, term: str) -> tuple[str, ...]:
        size = len(term)
        if size < MIN_TYPO_LENGTH or term.isdigit():
            return ()
        limit = 1 if size < 7 else 2
        script = "ru" if is_cyrillic(term) else "en"
        candidates = [
            t
            for length in range(size - limit, size + limit + 1)
            for t in self.by_length.get((script, length), ())
        ]
        matches = process.extract(
            term,
            candidates,
            scorer=DamerauLevenshtein.distance,
            score_cutoff=limit,
            limit=None,
        )
        if not matches:
            return ()
        best = min(distance for _, distance, _ in matches)
        closest = [t for t, distance, _ in matches if distance == best]
        closest.sort(key=lambda t: (-self.df.get(t, 0), t))
        return tuple(closest[:3])


_corpus: Corpus | None = None
_signature: tuple[object, ...] = ()
_checked_at = -math.inf


def _current_signature() -> tuple[object, ...]:
    found = SearchDocument.objects.filter(scope=Scope.ARTICLE).aggregate(
        n=Count("id"), last=Max("updated_at"), top=Max("id")
    )
    return (found["n"], found["last"], found["top"])


def _load() -> Corpus:
    df: Counter[str] = Counter()
    rows = SearchDocument.objects.filter(scope=Scope.ARTICLE).values_list(
        "title_terms", "heading_terms", "body_terms"
    )
    documents = 0
    for title, heading, body in rows.iterator(chunk_size=2000):
        documents += 1
        df.update(set(f"{title} {heading} {body}".split()))
    by_length: dict[tuple[str, int], list[str]] = {}
    for term in df:
        if not term.isdigit() and len(term) >= MIN_TYPO_LENGTH - 2:
            script = "ru" if is_cyrillic(term) else "en"
            by_length.setdefault((script, len(term)), []).append(term)
    return Corpus(documents=documents, df=dict(df), by_length=by_length)


def corpus() -> Corpus:
    """The current snapshot; rebuilt if the articles' index changed since."""
    global _corpus, _signature, _checked_at
    now = time.monotonic()
    if _corpus is not None and now - _checked_at < CHECK_EVERY:
        return _corpus
    signature = _current_signature()
    if _corpus is None or signature != _signature:
        _corpus = _load()
        _signature = signature
    _checked_at = now
    return _corpus


def changed() -> None:
    """The articles' index changed here: the next search checks and reloads."""
    global _checked_at
    _checked_at = -math.inf
