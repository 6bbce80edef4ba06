# ruff: noqa: RUF001
"""Words to search terms: Russian and English stemming done in Python, for every engine.

SQLite's FTS5 ships only an English (porter) stemmer, so the stems are computed here
with the Snowball stemmers (the same algorithms PostgreSQL's russian/english
configurations use) and both engines index and query the same terms. A word is
stemmed by its script: Cyrillic with the Russian stemmer, Latin with the English one.

Knowledge-base articles also get the dictionary form (lemma) of each Russian word
beside its stem (pymorphy3): stems miss alternations ("пришли" / "прийти",
"шёл" / "идти", "заблокирован" / "блокировка" meet through lemmas or prefixes).
Ticket conversations keep stems only: millions of messages index faster that way.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]
from pymorphy3 import MorphAnalyzer

_WORD = re.compile(r"[0-9a-zа-я]+")
_RU = snowballstemmer.stemmer("russian")
_EN = snowballstemmer.stemmer("english")

# Words too common to tell articles apart; negations go too, because "не печатает"
# and "печать" must meet.
STOP_WORDS = frozenset(
    """
    a an and are as at be but by can could do does doesn't did didn't for from get got has
    have how i i'm if in into is isn't it its me my no not of on or our so that the their
    them then there this to too us was we were what when where which who why will with won't
    would you your yours please hi hello thanks thank also just still any all и в во не на я
    с со что как а то все она так его но да ты к у же вы за бы по только ее её мне было вот
    от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него
    до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней
    для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот
    того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были
    куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через
    эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед
    иногда лучше чуть том нельзя такой им более всегда конечно всю между у меня мои мой моё
    наш наша наши здравствуйте привет пожалуйста спасибо добрый день подскажите помогите
    t s d m ll re ve don doesn didn isn wasn weren won aren haven hasn couldn can't cannot
    """.split()  # noqa: SIM905
)

# Past this many characters a document is cut: enough for any article or message,
# and PostgreSQL's tsvector has a size limit.
MAX_INDEXED_CHARS = 20_000


def normalize(text: str) -> str:
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word.isdigit():
        return word
    if "а" <= word[0] <= "я":
        return str(_RU.stemWord(word))
    return str(_EN.stemWord(word))


def is_cyrillic(word: str) -> bool:
    return "а" <= word[0] <= "я"


_analyzer: MorphAnalyzer | None = None


def _morph() -> MorphAnalyzer:
    """The Russian analyzer, loaded once per process on first use (its dictionaries
    take a fraction of a second and some 15 MB)."""
    global _analyzer
    if _analyzer is None:
        _analyzer = MorphAnalyzer(lang="ru")
    return _analyzer


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The dictionary form of a Russian word ("пришли" -> "прийти"); others as they are."""
    if word.isdigit() or not is_cyrillic(word):
        return word
    return normalize(str(_morph().parse(word)[0].normal_form))


@lru_cache(maxsize=200_000)
def word_terms(word: str) -> tuple[str, ...]:
    """The index terms of one word: its stem, and its lemma when that differs."""
    s = stem(word)
    if word.isdigit() or not is_cyrillic(word):
        return (s,)
    base = lemma(word)
    if base == s or base in STOP_WORDS:
        return (s,)
    return (s, base)


def terms(text: str) -> list[str]:
    """Stems of the meaningful words of a text, in order."""
    return [stem(w) for w in words(text[:MAX_INDEXED_CHARS]) if w not in STOP_WORDS]


def lemma_terms(text: str) -> list[str]:
    """Stems and, beside them, Russian lemmas of the meaningful words of a text."""
    found = words(text[:MAX_INDEXED_CHARS])
    return [t for w in found if w not in STOP_WORDS for t in word_terms(w)]


def index_text(text: str, *, lemmas: bool = False) -> str:
    return " ".join(lemma_terms(text) if lemmas else terms(text))


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def markdown_headings(markdown: str) -> str:
    """The headings of a Markdown text, one a line: they weigh between title and body."""
    return "\n".join(m.group(1) for m in _HEADING.finditer(markdown[:MAX_INDEXED_CHARS]))


def prefix_of(term: str) -> str | None:
    """A shorter prefix that also finds other forms ("печата" -> "печа" finds "печать").

    Snowball cuts Russian verb and noun forms at different places; matching a prefix
    two letters shorter (never under four letters) bridges them and forgives a typo
    in the last letters. A four-letter stem is its own prefix ("печа" finds "печата").
    """
    if term.isdigit() or len(term) < 4:
        return None
    return term[: max(4, len(term) - 2)]


@dataclass(frozen=True)
class QueryTerm:
    term: str
    prefix: str | None
    alternatives: tuple[str, ...] = ()  # close terms from the vocabulary (typos)
    variants: tuple[str, ...] = ()  # other terms of the same word (its Russian lemma)

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.term, *self.variants, *self.alternatives)

    @property
    def own(self) -> frozenset[str]:
        """The terms that are this very word (stem, lemma): they count in full."""
        return frozenset((self.term, *self.variants))

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Prefixes of the term and of its alternatives (other forms, typo corrections)."""
        found = [self.prefix] if self.prefix else []
        found += [p for p in (prefix_of(a) for a in self.alternatives) if p]
        return tuple(dict.fromkeys(found))


# Words customers use for what articles call otherwise (transliterations, slang),
# as stems: query term -> terms it also matches.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "аккаунт": ("учетн",),
    "акк": ("учетн",),
    "email": ("mail",),
    "мейл": ("почт",),
    "емейл": ("почт",),
    "впн": ("vpn",),
    "айфон": ("iphon",),
    "андроид": ("android",),
    "аутлук": ("outlook",),
    "телегр": ("telegram",),
    "ноут": ("ноутбук",),
    "комп": ("компьютер",),
    "инет": ("интернет",),
    "вайфа": ("wifi",),
    "apk": ("app",),
    "login": ("sign",),
    "logout": ("sign",),
    "parcel": ("order",),
}


# Russian verbs take prefixes ("распечатать", "напечатать") that articles often lack.
_RU_VERB_PREFIXES = ("рас", "раз", "рас", "пере", "вы", "на", "за", "от", "при")


def _alternatives(term: str) -> tuple[str, ...]:
    found = list(SYNONYMS.get(term, ()))
    for prefix in _RU_VERB_PREFIXES:
        rest = term[len(prefix) :]
        if term.startswith(prefix) and len(rest) >= 5:
            found.append(rest)
            shorter = prefix_of(rest)
            if shorter:
                found.append(shorter)
            break
    return tuple(found)


def query_terms(q: str, *, limit: int = 12, lemmas: bool = False) -> list[QueryTerm]:
    """The query's distinct meaningful words as terms, the first `limit` of them.

    With `lemmas` (articles), a Russian word's lemma is one of its own forms.
    """
    seen: dict[str, tuple[str, ...]] = {}
    for word in words(q):
        if word in STOP_WORDS:
            continue
        found = word_terms(word) if lemmas else (stem(word),)
        if found[0] not in seen:
            seen[found[0]] = found[1:]
        if len(seen) >= limit:
            break
    return [
        QueryTerm(term=t, prefix=prefix_of(t), alternatives=_alternatives(t), variants=v)
        for t, v in seen.items()
    ]


def coverage(query: list[QueryTerm], title_terms: str, body_terms: str) -> float:
    """How well a document answers the query, 0..1: the share of query terms it holds.

    A term found in the title counts fully, in the body 0.7; found only through its
    prefix or a typo correction, a little less. Engine ranks are not comparable
    between SQLite and PostgreSQL; this is, so it ranks ties and feeds the bot's
    confidence threshold.
    """
    if not query:
        return 0.0
    title = title_terms.split()
    body = body_terms.split()
    title_set, body_set = set(title), set(body)
    total = 0.0
    for qt in query:
        best = 0.0
        for form in qt.forms:
            factor = 1.0 if form in qt.own else 0.8
            if form in title_set:
                best = max(best, 1.0 * factor)
            elif form in body_set:
                best = max(best, 0.7 * factor)
        prefixes = qt.prefixes
        if best < 0.6 and prefixes:
            if any(t.startswith(prefixes) for t in title):
                best = max(best, 0.8)
            elif any(t.startswith(prefixes) for t in body):
                best = max(best, 0.55)
        total += best
    return round(total / len(query), 4)


def title_coverage(query: list[QueryTerm], title_terms: str) -> float:
    """The share of a document's title the query speaks of, 0..1.

    A long request ("my printer does not print, nothing comes out...") covers little
    of itself with any one article, yet may name everything an article's title says.
    """
    title = list(dict.fromkeys(title_terms.split()))
    if not title or not query:
        return 0.0
    matches = _Matcher(query)
    found = sum(1 for term in title if term in matches.forms or term.startswith(matches.prefixes))
    return round(found / len(title), 4)


_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_TOKEN = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+|[^0-9A-Za-zА-Яа-яЁё]+")


class _Matcher:
    """Does a word of the text match the query? Memoized: a text repeats its words."""

    def __init__(self, query: list[QueryTerm]) -> None:
        self.forms = {form for qt in query for form in qt.forms}
        self.prefixes = tuple(p for qt in query for p in qt.prefixes)
        self.seen: dict[str, bool] = {}

    def __call__(self, word: str) -> bool:
        w = normalize(word)
        found = self.seen.get(w)
        if found is None:
            s = stem(w) if w not in STOP_WORDS else ""
            found = bool(s) and (s in self.forms or s.startswith(self.prefixes))
            self.seen[w] = found
        return found


def highlight(text: str, query: list[QueryTerm], *, width: int = 200) -> str:
    """The passage of `text` that best matches the query, as safe HTML with <mark>s."""
    sentences = [s.strip() for s in _SENTENCE.split(text[:MAX_INDEXED_CHARS]) if s and s.strip()]
    if not sentences:
        return ""
    matches = _Matcher(query)
    best, best_score = 0, -1
    for i, sentence in enumerate(sentences[:200]):
        score = sum(1 for w in _WORD.findall(sentence.lower()) if matches(w))
        if score > best_score:
            best, best_score = i, score
    passage = sentences[best]
    for follower in sentences[best + 1 :]:
        if len(passage) >= width:
            break
        passage = f"{passage} {follower}"
    cut = len(passage) > width
    passage = passage[:width]
    out: list[str] = []
    for token in _TOKEN.findall(passage):
        escaped = html.escape(token, quote=False)
        if token[0].isalnum() and matches(token):
            out.append(f"<mark>{escaped}</mark>")
        else:
            out.append(escaped)
    return "".join(out) + ("…" if cut else "")


def plain_markdown(markdown: str) -> str:
    """Markdown without its markup, for indexing and snippets."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^[#>\-*+\s]+|[`*_~|]", "", text, flags=re.M)
    return text
