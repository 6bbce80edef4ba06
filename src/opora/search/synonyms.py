"""The support synonym vocabulary at query time: which phrases of a query have other
names, and the terms of those names.

A group lists phrases that mean one thing ("can't log in" ~ "sign-in fails"). A query
holding every meaningful word of one phrase (in any order, in any word form: stems
and lemmas) is expanded with the other phrases of its group; ranking counts an
expansion below the customer's own words (`ranking.py`). Groups are compiled once per
process and recompiled when an administrator changes them: at once in the process
that saved, within `CHECK_EVERY` seconds in the others.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Count, Max

from opora.search.models import SynonymGroup
from opora.search.text import STOP_WORDS, QueryTerm, prefix_of, word_terms, words

DEFAULTS_DIR = Path(__file__).resolve().parent / "synonyms"
LANGUAGES = ("en", "ru")
CHECK_EVERY = 2.0
# A long complaint can match many groups; past this many expansions the rest add noise.
MAX_EXPANSIONS = 16


def shipped_groups(language: str) -> list[list[str]]:
    """The default vocabulary of a language: one group a line, phrases split by "|"."""
    path = DEFAULTS_DIR / f"{language}.txt"
    groups: list[list[str]] = []
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        phrases = [" ".join(p.split()) for p in line.split("|") if p.strip()]
        if len(phrases) >= 2:
            groups.append(phrases)
    return groups


# A phrase as the words it must find: each word as the set of its terms (stem, lemma).
Phrase = tuple[frozenset[str], ...]


def compile_phrase(phrase: str) -> Phrase:
    return tuple(frozenset(word_terms(w)) for w in words(phrase) if w not in STOP_WORDS)


@dataclass(frozen=True)
class Expansion:
    """Other words for the query terms at `covers`: all of `terms` stand for them."""

    covers: tuple[int, ...]
    terms: tuple[QueryTerm, ...]


_groups: dict[str, list[list[Phrase]]] = {}
_signature: tuple[object, ...] = ()
_checked_at = -math.inf


def _current_signature() -> tuple[object, ...]:
    found = SynonymGroup.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return (found["n"], found["last"], found["top"])


def _compiled() -> dict[str, list[list[Phrase]]]:
    global _groups, _signature, _checked_at
    now = time.monotonic()
    if now - _checked_at < CHECK_EVERY:
        return _groups
    signature = _current_signature()
    if signature != _signature:
        compiled: dict[str, list[list[Phrase]]] = {}
        for language, phrases in SynonymGroup.objects.values_list("language", "phrases"):
            group = [p for p in (compile_phrase(str(text)) for text in phrases) if p]
            if len(group) >= 2:
                compiled.setdefault(language, []).append(group)
        _groups, _signature = compiled, signature
    _checked_at = now
    return _groups


def changed() -> None:
    """The vocabulary changed here: the next search recompiles it."""
    global _checked_at
    _checked_at = -math.inf


def _phrase_terms(phrase: Phrase) -> tuple[QueryTerm, ...]:
    out = []
    for keys in phrase:
        ordered = sorted(keys, key=len)
        term = ordered[0]
        out.append(QueryTerm(term=term, prefix=prefix_of(term), variants=tuple(ordered[1:])))
    return tuple(out)


def _covers(phrase: Phrase, query: list[QueryTerm]) -> tuple[int, ...] | None:
    """The positions of the query terms that spell the phrase, or None."""
    positions: list[int] = []
    for keys in phrase:
        found = next((i for i, qt in enumerate(query) if keys & {*qt.own, *qt.alternatives}), None)
        if found is None:
            return None
        positions.append(found)
    return tuple(sorted(set(positions)))


def expand(query: list[QueryTerm], language: str | None) -> list[Expansion]:
    """The other phrases of every group one of whose phrases the query holds."""
    if not query:
        return []
    compiled = _compiled()
    languages = [language] if language in LANGUAGES else list(LANGUAGES)
    found: list[Expansion] = []
    seen: set[tuple[tuple[int, ...], Phrase]] = set()
    for lang in languages:
        for group in compiled.get(lang, ()):
            matched = [(p, c) for p in group if (c := _covers(p, query)) is not None]
            if not matched:
                continue
            # The longest phrase the query spells speaks for the group.
            phrase, covers = max(matched, key=lambda item: len(item[0]))
            for other in group:
                if other is phrase or (covers, other) in seen:
                    continue
                seen.add((covers, other))
                found.append(Expansion(covers=covers, terms=_phrase_terms(other)))
                if len(found) >= MAX_EXPANSIONS:
                    return found
    return found
