"""The tone of a customer's message: negative, neutral or positive (ru and en).

A lexicon, not a model: support messages are short, the words that carry anger or
thanks are few and stable, and a rule an admin reads ("'not happy' counts as unhappy")
beats a score nobody can explain. Each word form is matched by its stem; a negation
just before a word turns it ("not happy", "не доволен" are negative, "not bad" is no
longer negative); shouting (several "!" or a run of capitals) adds to the negative
side. Used by trigger conditions ("sentiment is negative") and by the answer bot,
which leaves angry customers to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

NEGATIVE = "negative"
NEUTRAL = "neutral"
POSITIVE = "positive"
LABELS = (NEGATIVE, NEUTRAL, POSITIVE)

# Stems, matched at a word's start ("=" at the end: the whole word only, for short
# words that start longer unrelated ones); "strong" ones alone make a message angry.
_STRONG_NEGATIVE = [
    "angry",
    "furious",
    "terribl",
    "awful",
    "horribl",
    "disgust",
    "ridiculous",
    "worst",
    "outrag",
    "unacceptabl",
    "pathetic",
    "incompetent",
    "scam",
    "fraud",
    "liar",
    "ужасн",
    "отвратительн",
    "отвратн",
    "бесит",
    "бесят",
    "безобрази",
    "издевательств",
    "кошмар",
    "позор",
    "возмутительн",
    "недопустим",
    "хамств",
    "хамск",
    "мошенни",
    "обманщик",
]
_NEGATIVE = [
    "disappoint",
    "frustrat",
    "annoy",
    "hate",
    "useless",
    "broken",
    "waste",
    "rude",
    "poor",
    "complain",
    "cheat",
    "lie=",
    "lied=",
    "lies=",
    "lying=",
    "slow",
    "nightmare",
    "upset",
    "unhappy",
    "sick=",
    "разочарова",
    "надоел",
    "надоело",
    "достал",
    "бардак",
    "обман",
    "развод",
    "бесполезн",
    "плох",
    "жалоб",
    "жалуюсь",
    "ненавиж",
    "зол=",
    "зла=",
    "злы=",
    "злюсь",
    "недоволен",
    "недовольн",
    "возмущ",
    "сломал",
    "сломан",
    "медленн",
    "грубо=",
    "груб=",
    "грубый",
    "грубая",
    "претензи",
    "bad=",
    "badly=",
]
_POSITIVE = [
    "thank",
    "thanks",
    "great",
    "excellent",
    "awesome",
    "perfect",
    "love",
    "happy",
    "pleased",
    "appreciat",
    "wonderful",
    "helpful",
    "fantastic",
    "amazing",
    "glad",
    "brilliant",
    "good=",
    "nice=",
    "satisfied",
    "спасиб",
    "благодар",
    "отличн",
    "прекрасн",
    "замечательн",
    "супер=",
    "доволен",
    "довольн",
    "рад=",
    "рада=",
    "рады=",
    "здорово",
    "класс=",
    "классно",
    "хорош",
    "помогли",
    "выручили",
]
_NEGATORS = {
    "not",
    "no",
    "never",
    "hardly",
    "isn't",
    "wasn't",
    "don't",
    "didn't",
    "не",
    "ни",
    "нет",
    "нисколько",
    "совсем",
}
_PHRASES_NEGATIVE = (
    "fed up",
    "sick of",
    "never again",
    "waste of time",
    "waste of money",
    "сколько можно",
    "верните деньги",
    "больше никогда",
    "терпение лопнуло",
)
_WORD = re.compile(r"[\w']+", re.UNICODE)
# Three or more "!" in a message, or three capitalized words in a row, read as shouting.
MANY_EXCLAMATIONS = 3
_CAPS_RUN = re.compile(r"(?:\b[A-ZА-ЯЁ]{3,}\b\W+){2,}\b[A-ZА-ЯЁ]{3,}\b")


@dataclass(frozen=True)
class Tone:
    label: str
    negative: int
    positive: int
    angry: bool  # strong words or shouting: the answer bot stays quiet
    shouting: bool


# Words that may stand between a negation and what it turns: "not very happy".
_FILLERS = {
    "very",
    "really",
    "so",
    "too",
    "that",
    "quite",
    "at",
    "all",
    "be",
    "been",
    "очень",
    "особо",
    "слишком",
    "совсем",
    "так",
    "сильно",
    "особенно",
    "вполне",
}


def _negated(words: list[str], i: int) -> bool:
    """A negation right before the word, or before one filler word: "not (very) happy"."""
    if i >= 1 and words[i - 1] in _NEGATORS:
        return True
    return i >= 2 and words[i - 1] in _FILLERS and words[i - 2] in _NEGATORS


def _starts(word: str, stems: tuple[str, ...]) -> bool:
    return any(word == stem[:-1] if stem.endswith("=") else word.startswith(stem) for stem in stems)


@lru_cache(maxsize=1)
def _tables() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    return tuple(_STRONG_NEGATIVE), tuple(_NEGATIVE), tuple(_POSITIVE)


def tone(text: str) -> Tone:
    """The tone of `text` (the first 5,000 characters: a tone shows early)."""
    text = text[:5000]
    strong_stems, negative_stems, positive_stems = _tables()
    words = [w.casefold() for w in _WORD.findall(text)]
    lowered = " ".join(words)
    negative = sum(lowered.count(phrase) for phrase in _PHRASES_NEGATIVE)
    positive = 0
    strong = False
    for i, word in enumerate(words):
        negated = _negated(words, i)
        if _starts(word, strong_stems):
            if not negated:
                negative += 2
                strong = True
        elif _starts(word, negative_stems):
            if negated:
                continue  # "not bad", "не плохо": no longer negative, not praise either
            negative += 1
        elif _starts(word, positive_stems):
            if negated:
                negative += 1  # "not happy", "не доволен"
            else:
                positive += 1
    shouting = text.count("!") >= MANY_EXCLAMATIONS or bool(_CAPS_RUN.search(text))
    if shouting:
        negative += 1
    if negative > positive:
        label = NEGATIVE
    elif positive > negative:
        label = POSITIVE
    else:
        label = NEUTRAL
    return Tone(label, negative, positive, angry=strong or shouting, shouting=shouting)
