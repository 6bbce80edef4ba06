"""How well an article answers a query, 0..1, the same on every engine.

The engine hands over candidates; this orders them. For each query word: where the
article holds it (title 1, headings 0.75, body 0.5, a little more for a word the body
repeats), in which form (the word itself or its lemma in full, a typo correction
0.8, a prefix less), or, failing that, through a synonym phrase (0.7 of what the
phrase finds: other words count below the customer's own). Words weigh by rarity
(BM25's idf over the knowledge base), so the one word that tells near-duplicate
articles apart decides between them; a word no article holds weighs a quarter, so
the noise of a long complaint does not drown the bot's confidence. The share of the
title the query names then tips the balance between articles that hold the same
words, and what customers found helpful adds at most `MAX_BOOST`.

An exact title match (every word of the title named, every known word of the query
in the title) ranks above the rest whatever the boosts: feedback never buries it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from opora.search.corpus import Corpus
from opora.search.synonyms import Expansion
from opora.search.text import STOP_WORDS, QueryTerm, word_terms, words

TITLE, HEADING, BODY = 1.0, 0.75, 0.5
BODY_REPEATED = 0.1  # added for a word the body holds twice or more
TYPO = 0.8
PREFIX = 0.7
SYNONYM = 0.7
UNKNOWN_WORD = 0.25
MAX_BOOST = 0.05


@dataclass
class Document:
    id: int
    title: str
    title_terms: str
    heading_terms: str
    body_terms: str

    @cached_property
    def title_set(self) -> frozenset[str]:
        return frozenset(self.title_terms.split())

    @cached_property
    def heading_set(self) -> frozenset[str]:
        return frozenset(self.heading_terms.split())

    @cached_property
    def body_counts(self) -> Counter[str]:
        return Counter(self.body_terms.split())

    @cached_property
    def title_words(self) -> list[tuple[str, ...]]:
        """The title's meaningful words, each as its terms (stem, lemma)."""
        found = [word_terms(w) for w in words(self.title) if w not in STOP_WORDS]
        return list(dict.fromkeys(found))


def _field(doc: Document, term: str) -> float:
    if term in doc.title_set:
        return TITLE
    if term in doc.heading_set:
        return HEADING
    count = doc.body_counts.get(term, 0)
    if count:
        return BODY + (BODY_REPEATED if count > 1 else 0.0)
    return 0.0


def _prefix_field(doc: Document, prefixes: tuple[str, ...]) -> float:
    if any(t.startswith(prefixes) for t in doc.title_set):
        return TITLE
    if any(t.startswith(prefixes) for t in doc.heading_set):
        return HEADING
    if any(t.startswith(prefixes) for t in doc.body_counts):
        return BODY
    return 0.0


def term_match(qt: QueryTerm, doc: Document) -> float:
    """How well the document holds one query word, 0..1."""
    best = 0.0
    for form in qt.forms:
        found = _field(doc, form)
        if found:
            best = max(best, found * (1.0 if form in qt.own else TYPO))
    if best < TITLE * TYPO and qt.prefixes:
        best = max(best, _prefix_field(doc, qt.prefixes) * PREFIX)
    return best


def _weight(qt: QueryTerm, corpus: Corpus) -> float:
    known = [f for f in qt.own if corpus.knows(f)] or [f for f in qt.forms if corpus.knows(f)]
    if not known:
        return corpus.idf(qt.term) * UNKNOWN_WORD
    return max(corpus.idf(f) for f in known)


def title_share(doc: Document, query: list[QueryTerm], expansions: Sequence[Expansion]) -> float:
    """The share of the title's words the query names (itself or by a synonym)."""
    if not doc.title_words:
        return 0.0
    terms = [*query, *(t for e in expansions for t in e.terms)]
    forms = {f for qt in terms for f in qt.forms}
    prefixes = tuple(p for qt in terms for p in qt.prefixes)
    named = sum(
        1
        for word in doc.title_words
        if forms.intersection(word) or (prefixes and word[0].startswith(prefixes))
    )
    return named / len(doc.title_words)


def exact_title(doc: Document, query: list[QueryTerm], corpus: Corpus) -> bool:
    """Every title word named by the query's own words, and every word of the query
    the knowledge base knows is in the title."""
    if not doc.title_words:
        return False
    own = {f for qt in query for f in qt.own}
    if not all(own.intersection(word) for word in doc.title_words):
        return False
    return all(qt.own & doc.title_set for qt in query if any(corpus.knows(f) for f in qt.own))


@dataclass(frozen=True)
class Ranked:
    doc: Document
    score: float
    title_share: float
    exact: bool


def rank(
    docs: Sequence[Document],
    query: list[QueryTerm],
    expansions: Sequence[Expansion],
    corpus: Corpus,
    boosts: dict[int, float],
) -> list[Ranked]:
    """The documents best first; `docs` come in the engine's order, which breaks ties."""
    weights = [_weight(qt, corpus) for qt in query]
    # A word the vocabulary gives other names weighs as those names do: "пришли" is in
    # no article, yet "деньги не пришли" ~ "платёж не зачислен" is the point of the query.
    for expansion in expansions:
        named = sum(_weight(t, corpus) for t in expansion.terms) / len(expansion.terms)
        for i in expansion.covers:
            weights[i] = max(weights[i], named)
    total = sum(weights) or 1.0
    ranked: list[tuple[tuple[float, ...], Ranked]] = []
    for position, doc in enumerate(docs):
        matches = [term_match(qt, doc) for qt in query]
        for expansion in expansions:
            found = [term_match(t, doc) for t in expansion.terms]
            if found and min(found) > 0:
                credit = SYNONYM * sum(found) / len(found)
                for i in expansion.covers:
                    matches[i] = max(matches[i], credit)
        coverage = sum(w * m for w, m in zip(weights, matches, strict=True)) / total
        share = title_share(doc, query, expansions)
        boost = MAX_BOOST * min(1.0, max(0.0, boosts.get(doc.id, 0.0)))
        score = min(1.0, coverage * (0.75 + 0.25 * share) + boost) if coverage else 0.0
        exact = exact_title(doc, query, corpus)
        item = Ranked(doc=doc, score=round(score, 4), title_share=round(share, 4), exact=exact)
        ranked.append(((-float(exact), -score, float(position)), item))
    ranked.sort(key=lambda pair: pair[0])
    return [item for _, item in ranked]
