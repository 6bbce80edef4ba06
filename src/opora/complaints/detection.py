# ruff: noqa: RUF001, RUF002
"""Whether a customer's message is a complaint, with a confidence (ru and en).

A lexicon of stems in a few kinds of signal, not a trained model: the words people
use to complain are few and stable, and a team lead can read why a request was taken
for a complaint ("threat to go to a regulator: роспотребнадзор"). Each kind has a
weight; a message's confidence is the noisy-OR of the signals found in it, so one
strong signal (a formal complaint, a threat of court) is enough on its own, while a
weak one (a repeated failure, or shouting) is not, unless another comes with it.

The text is read as lower-case words with "ё" as "е" and repeated letters squeezed
(in the stems too: "sooo" → "so", "dissapointed" and "disappoint" → "disapoint"). A
stem matches a word that starts with it, or, for stems of seven letters or more, a
word whose start is one typo away (a letter missing, added, swapped or wrong:
"недоволна", "disapointed"). A negation just before a word ("not", "не", "no",
"без") turns a positive word into dissatisfaction ("not happy", "не доволен") and
cancels a complaint word ("no complaints"; "претензий нет": "нет" after it, within the
same clause). A court, a lawyer or a regulator of the customer's own ("our lawyer
asks for the contract", "наш юрист") is someone asking on their behalf, not a threat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_CHARS = 4000  # a complaint shows itself early; a pasted log is not read to the end

# Kinds of signal and their weights (the chance one such signal alone means a complaint).
COMPLAINT = "complaint"  # the customer calls it a complaint
AUTHORITY = "authority"  # threat of court, lawyers, a regulator, consumer protection
LEAVING = "leaving"  # threat to leave, cancel, go to a competitor
DISSATISFIED = "dissatisfied"  # not happy, disappointed, angry words
STAFF = "staff"  # an agent's or a courier's behaviour
DEMAND = "demand"  # demands money back, compensation, an apology
REPEATED = "repeated"  # the same failure again, nobody answers
SHOUTING = "shouting"  # capitals, several "!"

WEIGHTS: dict[str, float] = {
    COMPLAINT: 0.85,
    AUTHORITY: 0.8,
    LEAVING: 0.7,
    DISSATISFIED: 0.55,
    STAFF: 0.5,
    DEMAND: 0.5,
    REPEATED: 0.3,
    SHOUTING: 0.3,
}
THRESHOLD = 0.5  # the default; the desk's setting may raise or lower it
# Stems this long or longer also match with one typo; shorter ones are too close to
# ordinary words ("достал" is one letter from "достав-ка").
TYPO_MIN = 7

# Each pattern is one or more stems, matched against consecutive words (up to two
# other words may stand between them). "=" at the end of a stem: the whole word only.
LEXICON: dict[str, tuple[str, ...]] = {
    COMPLAINT: (
        "complain",
        "complaint",
        "grievanc",
        "жалоб",
        "жалую",
        "пожалуюсь",
        "пожаловаться",
        "претензи",
        "рекламаци",
    ),
    AUTHORITY: (
        "to the press",
        "go public",
        "social media",
        "journalist",
        "сми=",
        "журналист",
        "соцсет",
        "в прессу",
        "lawyer",
        "attorney",
        "sue=",
        "suing",
        "lawsuit",
        "court=",
        "legal action",
        "ombudsman",
        "regulator",
        "consumer protection",
        "consumer rights",
        "trading standards",
        "better business bureau",
        "ftc=",
        "chargeback",
        "dispute bank",
        "report you",
        "rospotrebnadzor",
        "роспотребнадзор",
        "защиты прав потребител",
        "защита прав потребител",
        "прав потребител",
        "суд=",
        "суда=",
        "суде=",
        "судом=",
        "судебн",
        "юрист",
        "адвокат",
        "прокуратур",
        "омбудсмен",
        "центробанк",
        "цб=",
        "фас=",
        "иск=",
        "исков",
        "регулятор",
    ),
    LEAVING: (
        "im done",
        "i am done",
        "cancelling my contract",
        "one star",
        "one-star",
        "zero star",
        "другому провайдер",
        "другого провайдер",
        "другому оператор",
        "ни копейки",
        "последний раз",
        "перехожу к",
        "перейду к",
        "take business elsewhere",
        "go elsewhere",
        "going elsewhere",
        "switching to",
        "switch to another",
        "another provider",
        "lost customer",
        "never order again",
        "never buy again",
        "never use again",
        "never again",
        "done with your",
        "last time i",
        "к конкурент",
        "уйду",
        "ухожу",
        "уйдем",
        "расторгн",
        "больше никогда",
        "больше не буду",
        "откажусь от ваших",
    ),
    DISSATISFIED: (
        "pathetic",
        "useless",
        "shame",
        "appalling",
        "atrocious",
        "abysmal",
        "dreadful",
        "lousy",
        "rubbish",
        "garbage",
        "a joke",
        "unprofessional",
        "poor service",
        "bad service",
        "shocking",
        "infuriat",
        "frustrat",
        "annoy",
        "upset",
        "angry",
        "theft",
        "stole",
        "robbed",
        "rip off",
        "unfair",
        "misleading",
        "false advertising",
        "let down",
        "let me down",
        "how dare",
        "ужас",
        "жуть",
        "кошмарн",
        "бесит",
        "бесят",
        "обидно",
        "разозл",
        "хуже некуда",
        "отстой",
        "неуважени",
        "наплеват",
        "халтур",
        "безответствен",
        "непрофессионал",
        "недобросовест",
        "развод",
        "воровств",
        "украли",
        "жулик",
        "жульнич",
        "unhappy",
        "dissatisf",
        "unsatisf",
        "disappoint",
        "unacceptabl",
        "outrag",
        "ridiculous",
        "disgust",
        "disgrace",
        "terribl",
        "horribl",
        "awful",
        "worst",
        "furious",
        "fed up",
        "had enough",
        "sick of",
        "scam",
        "fraud",
        "ripped off",
        "wasted",
        "waste of",
        "incompetent",
        "недовол",
        "разочаров",
        "возмути",
        "возмущ",
        "безобрази",
        "ужасн",
        "отвратительн",
        "кошмар",
        "позор",
        "издевательств",
        "недопустим",
        "неприемлем",
        "надоел",
        "достал",
        "сколько можно",
        "доколе",
        "обман",
        "мошенни",
        "худш",
        "впустую",
        "хватит",
        "нет слов",
        "некомпетент",
        "бардак",
    ),
    STAFF: (
        "dismissive",
        "laughed at",
        "arrogant",
        "impolite",
        "yelled",
        "shouted at",
        "swore at",
        "посмеял",
        "смеялся",
        "смеялась",
        "наорал",
        "кричал",
        "невежлив",
        "пренебрежит",
        "грубиян",
        "rude",
        "condescending",
        "hung up",
        "lied",
        "treated like",
        "unhelpful",
        "нагруб",
        "нахам",
        "хамил",
        "хамств",
        "хамск",
        "грубо",
        "бросил трубку",
        "бросила трубку",
        "разобраться с сотрудник",
    ),
    DEMAND: (
        "who pays",
        "who will pay",
        "reimburs",
        "кто заплатит",
        "кто возместит",
        "возместите",
        "возмещени",
        "demand",
        "compensat",
        "money back",
        "want refund",
        "expect apology",
        "want apology",
        "owe me apology",
        "demand apology",
        "требую",
        "компенсац",
        "верните деньги",
        "верните мои",
        "жду извинени",
        "требую извинени",
        "хочу извинени",
        "без извинени",
        "извинений никаких",
        "никаких извинени",
        "неустойк",
    ),
    REPEATED: (
        "two times",
        "three times",
        "four times",
        "five times",
        "six times",
        "seven times",
        "ten times",
        "several times",
        "many times",
        "multiple times",
        "countless times",
        "second time",
        "third time",
        "fourth time",
        "fifth time",
        "tenth time",
        "umpteenth time",
        "второй раз=",
        "третий раз=",
        "четвертый раз=",
        "пятый раз=",
        "десятый раз=",
        "очередной раз=",
        "который раз=",
        "энный раз=",
        "times already",
        "no reply",
        "no response",
        "no answer",
        "same bug",
        "same problem",
        "for weeks",
        "for months",
        "half a year",
        "раз уже",
        "ответа нет",
        "без ответа",
        "неделями",
        "месяцами",
        "полгода",
        "again and again",
        "still not",
        "nobody",
        "no one",
        "ignor",
        "never showed",
        "never called",
        "до сих пор",
        "никто не",
        "игнорир",
        "вторую неделю",
        "месяц жду",
    ),
}
# Words that read as content: negated ("not happy", "не доволен"), dissatisfaction.
POSITIVE = (
    "impressed",
    "respect",
    "value=",
    "цените",
    "ценит",
    "уважа",
    "happy",
    "satisfied",
    "pleased",
    "ok=",
    "okay",
    "acceptabl",
    "довол",
    "устраива",
    "удовлетвор",
    "нравит",
)
NEGATIONS = frozenset({"not", "no", "never", "dont", "isnt", "wasnt", "не", "нет", "ни", "без"})
# Words a negation looks past: "not at all happy", "не очень доволен" stays negated.
_FILLERS = frozenset(
    {
        "at",
        "all",
        "very",
        "really",
        "so",
        "too",
        "quite",
        "совсем",
        "очень",
        "особо",
        "вообще",
        "совершенно",
        "нисколько",
        "i",
        "am",
        "was",
        "is",
        "be",
        "me",
    }
)
# An authority of the customer's own side ("our lawyer", "наш юрист") threatens no one.
_OWN = ("our", "наш")  # a word starting so: "our", "нашему", "наши"

_WORD = re.compile(r"[a-zа-я0-9]+")
_REPEATS = re.compile(r"(\w)\1+")
_CLAUSE = re.compile(r"[.;!?,:\n]")


@dataclass(frozen=True)
class Signal:
    kind: str
    words: str  # the words of the message that matched


@dataclass(frozen=True)
class Verdict:
    confidence: float  # 0..1
    signals: tuple[Signal, ...]

    def is_complaint(self, threshold: float = THRESHOLD) -> bool:
        return self.confidence >= threshold

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.kind for s in self.signals))


@dataclass(frozen=True)
class _Stem:
    text: str
    whole: bool

    def matches(self, word: str) -> bool:
        if self.whole:
            return word == self.text or (len(self.text) >= TYPO_MIN and _one_typo(word, self.text))
        if word.startswith(self.text):
            return True
        if len(self.text) < TYPO_MIN or len(word) < len(self.text) - 1:
            return False
        # A typo in the stem part: compare the word's start of the stem's length
        # (one longer or shorter for a letter added or missing).
        return any(
            _one_typo(word[: len(self.text) + d], self.text)
            for d in (-1, 0, 1)
            if len(word) >= len(self.text) + d
        )


def _one_typo(a: str, b: str) -> bool:
    """True when `a` is `b` with at most one letter wrong, missing, added or two swapped."""
    if a == b:
        return True
    if a[:1] != b[:1]:  # the first letter is rarely the typo, and it keeps this fast
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, tuple[_Stem, ...], str], ...]:
    found = []
    for kind, entries in LEXICON.items():
        for entry in entries:
            # Stems of three letters or fewer are whole words ("im", "done", "суд"):
            # as prefixes they would start too many others ("imap", "судно").
            stems = tuple(
                _Stem(part.rstrip("="), part.endswith("=") or len(part) <= 3)
                for part in _normal(entry).split(" ")
                if part
            )
            found.append((kind, stems, entry))
    return tuple(found)


@lru_cache(maxsize=1)
def _positive() -> tuple[_Stem, ...]:
    return tuple(_Stem(_normal(p).rstrip("="), p.endswith("=")) for p in POSITIVE)


def _normal(text: str) -> str:
    text = text.lower().replace("ё", "е").replace("'", "").replace("’", "")
    return _REPEATS.sub(r"\1", text)


# The word lists as the text is read (repeated letters squeezed: "all" → "al").
_NEGATIONS = frozenset(_normal(w) for w in NEGATIONS)
_SQUEEZED_FILLERS = frozenset(_normal(w) for w in _FILLERS)


def _negated(words: list[str], at: int) -> bool:
    """A negation stands before words[at], past filler words, within three words."""
    i = at - 1
    looked = 0
    while i >= 0 and looked < 3:
        if words[i] in _NEGATIONS:
            return True
        if words[i] not in _SQUEEZED_FILLERS:
            looked += 1
        i -= 1
    return False


def _match_at(words: list[str], at: int, stems: tuple[_Stem, ...]) -> int:
    """The index after the match of `stems` starting at words[at], or -1."""
    if not stems[0].matches(words[at]):
        return -1
    i = at + 1
    for stem in stems[1:]:
        for gap in range(3):  # up to two other words between parts of a phrase
            if i + gap < len(words) and stem.matches(words[i + gap]):
                i = i + gap + 1
                break
        else:
            return -1
    return i


@lru_cache(maxsize=1)
def _by_first_letter() -> dict[str, tuple[tuple[int, str, tuple[_Stem, ...]], ...]]:
    """The patterns by the first letter of their first stem (a stem matches only words
    with its first letter, typos included), each with its place in the lexicon."""
    found: dict[str, list[tuple[int, str, tuple[_Stem, ...]]]] = {}
    for index, (kind, stems, _entry) in enumerate(_patterns()):
        found.setdefault(stems[0].text[:1], []).append((index, kind, stems))
    return {letter: tuple(rows) for letter, rows in found.items()}


# Words longer than this are rare (a pasted token, a path): checked, not remembered.
_REMEMBERED_LENGTH = 40


@lru_cache(maxsize=32_768)
def _starting_here(word: str) -> tuple[tuple[int, str, tuple[_Stem, ...]], ...]:
    """The patterns whose first stem matches `word`, in lexicon order: a message's
    words are mostly the same few thousand, and checking each against every stem of
    its letter (typos included) was most of the detector's time."""
    return tuple(row for row in _by_first_letter().get(word[:1], ()) if row[2][0].matches(word))


def _candidates(word: str) -> tuple[tuple[int, str, tuple[_Stem, ...]], ...]:
    if len(word) > _REMEMBERED_LENGTH:
        return _starting_here.__wrapped__(word)
    return _starting_here(word)


@lru_cache(maxsize=32_768)
def _remembered_positive(word: str) -> bool:
    return any(s.matches(word) for s in _positive())


def _is_positive(word: str) -> bool:
    """`word` is a positive word ("happy", "доволен"), which a negation turns around."""
    if len(word) > _REMEMBERED_LENGTH:
        return _remembered_positive.__wrapped__(word)
    return _remembered_positive(word)


def _clause_signals(words: list[str]) -> list[Signal]:
    found: list[Signal] = []
    taken: set[int] = set()
    seen: set[int] = set()  # each pattern counts once
    for at, word in enumerate(words):
        if at in taken:
            continue
        for number, kind, stems in _candidates(word):
            if number in seen:
                continue
            end = _match_at(words, at, stems)
            if end < 0:
                continue
            if kind == COMPLAINT and (_negated(words, at) or "нет" in words[end : end + 2]):
                continue  # "no complaints", "претензий нет", "not complaining"
            if kind == AUTHORITY and at > 0 and words[at - 1].startswith(_OWN):
                continue
            seen.add(number)
            taken.update(range(at, end))
            found.append(Signal(kind, " ".join(words[at:end])))
            break
    for at, word in enumerate(words):
        if at not in taken and _is_positive(word) and _negated(words, at):
            found.append(Signal(DISSATISFIED, f"not {word}"))
            break
    return found


def _shouting(text: str) -> bool:
    if text.count("!") >= 3:
        return True
    # Counted by the C loops of filter and map: a Python loop per character cost as
    # much as the rest of the detector.
    letters = "".join(filter(str.isalpha, text))
    return len(letters) >= 12 and sum(map(str.isupper, letters)) / len(letters) > 0.6


def detect(text: str) -> Verdict:
    """How likely `text` (subject and first message) is a complaint, and why."""
    text = text[:MAX_CHARS]
    signals: list[Signal] = []
    for clause in _CLAUSE.split(_normal(text)):
        words = _WORD.findall(clause)
        if words:
            signals += _clause_signals(words)
    if _shouting(text):
        signals.append(Signal(SHOUTING, "!"))
    # Several signals of one kind count as one: three angry words are one angry customer.
    kinds = {s.kind for s in signals}
    miss = 1.0
    for kind in kinds:
        miss *= 1.0 - WEIGHTS[kind]
    return Verdict(confidence=round(1.0 - miss, 3), signals=tuple(signals))


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int
    missed: tuple[str, ...]  # complaints not recognised
    mistaken: tuple[str, ...]  # ordinary messages taken for complaints


def evaluate(samples: list[tuple[bool, str]], threshold: float = THRESHOLD) -> Scores:
    """Precision and recall of the detector on (is a complaint, text) pairs."""
    missed: list[str] = []
    mistaken: list[str] = []
    tp = tn = 0
    for wanted, text in samples:
        got = detect(text).is_complaint(threshold)
        if got and wanted:
            tp += 1
        elif got:
            mistaken.append(text)
        elif wanted:
            missed.append(text)
        else:
            tn += 1
    fp, fn = len(mistaken), len(missed)
    return Scores(
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        true_positive=tp,
        false_positive=fp,
        false_negative=fn,
        true_negative=tn,
        missed=tuple(missed),
        mistaken=tuple(mistaken),
    )


def read_labelled(path: str) -> list[tuple[bool, str]]:
    """A test set: lines "c|o <TAB> language <TAB> text" ("#" starts a comment line)."""
    samples = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            label, _language, text = line.rstrip("\n").split("\t", 2)
            samples.append((label == "c", text))
    return samples
