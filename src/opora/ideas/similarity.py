"""Which ideas a suggestion speaks of: TF-IDF cosine over the ideas' titles and
descriptions, in the search index's terms.

Words become the search app's terms (Snowball stems and, for Russian, lemmas:
`search.text.lemma_terms`), so "тёмная тема" and "тёмный режим" meet on "темн" and
"dark mode" / "dark theme" on "dark". The desk's synonym vocabulary
(`search.synonyms`, edited in the console) adds the other names of a phrase the
suggestion holds ("тёмный режим" ~ "тёмная тема"), weighed below the customer's own
words. A title counts twice. Words every suggestion uses ("please add", "было бы
здорово") are left out: they would make every idea look like every other.

The ideas are read whole for each comparison (their terms column only): a desk has
hundreds or a few thousand ideas, not millions, and a suggestion arrives now and then.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from opora.search import synonyms
from opora.search.text import lemma_terms, query_terms

# Below this cosine an idea is not offered: unrelated suggestions share a word or two.
MIN_SCORE = 0.12
# A synonym's terms count this much of the customer's own words.
SYNONYM_WEIGHT = 0.6
TITLE_WEIGHT = 2

_BOILERPLATE_WORDS = """
    add adding added would like love feature features request requests option options
    possible possibility ability able want need needs great nice idea ideas suggest
    suggestion suggestions please make really appreciated appreciate allow let lets
    could should useful helpful good wish hope thanks team
    добавить добавьте добавлять сделать сделайте хотеть хотелось хотим хотел хотела
    возможность функция идея предложение предлагаю предлагать нужно нужен нужна было бы
    здорово очень просить прошу появиться удобно удобный хорошо отлично спасибо
"""
BOILERPLATE = frozenset(lemma_terms(_BOILERPLATE_WORDS))


def document_terms(title: str, description: str) -> list[str]:
    """An idea's (or a suggestion's) terms: the title's counted twice."""
    title_terms = [t for t in lemma_terms(title) if t not in BOILERPLATE]
    body_terms = [t for t in lemma_terms(description) if t not in BOILERPLATE]
    return title_terms * TITLE_WEIGHT + body_terms


def query_vector(title: str, body: str, *, language: str | None = None) -> dict[str, float]:
    """A suggestion's term weights (raw counts), with its synonyms' terms beside them.

    Without a `language` both vocabularies are asked: a ticket's language is its
    requester's setting, not always the language of the words they wrote."""
    counts: dict[str, float] = dict(Counter(document_terms(title, body)))
    for expansion in synonyms.expand(query_terms(f"{title}\n{body}", lemmas=True), language):
        for qt in expansion.terms:
            for term in qt.own:
                if term not in counts and term not in BOILERPLATE:
                    counts[term] = SYNONYM_WEIGHT
    return counts


@dataclass(frozen=True)
class Match:
    idea_id: int
    score: float


def rank(
    query: dict[str, float],
    documents: list[tuple[int, str]],
    *,
    limit: int = 5,
    min_score: float = MIN_SCORE,
) -> list[Match]:
    """The documents (id, space-separated terms) closest to the query, best first:
    those at `min_score` or above."""
    if not query or not documents:
        return []
    vectors = [(pk, Counter(terms.split())) for pk, terms in documents]
    df: Counter[str] = Counter()
    for _, counts in vectors:
        df.update(counts.keys())
    n = len(vectors)

    def idf(term: str) -> float:
        return math.log((n + 1) / (df.get(term, 0) + 1)) + 1

    def weight(tf: float) -> float:
        return 1 + math.log(tf) if tf >= 1 else tf

    q = {t: weight(tf) * idf(t) for t, tf in query.items()}
    q_norm = math.sqrt(sum(w * w for w in q.values()))
    found: list[Match] = []
    for pk, counts in vectors:
        d = {t: weight(tf) * idf(t) for t, tf in counts.items()}
        d_norm = math.sqrt(sum(w * w for w in d.values()))
        if not d_norm:
            continue
        dot = sum(w * d[t] for t, w in q.items() if t in d)
        score = round(dot / (q_norm * d_norm), 4)
        if dot and score >= min_score:
            found.append(Match(pk, score))
    found.sort(key=lambda m: (-m.score, m.idea_id))
    return found[:limit]
