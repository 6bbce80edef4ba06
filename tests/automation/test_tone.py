"""The tone of customers' messages, as triggers and the answer bot read it."""

from __future__ import annotations

import pytest

from opora.automation.tone import tone


@pytest.mark.parametrize(
    ("text", "label", "angry"),
    [
        ("Thank you so much, that was great help!", "positive", False),
        ("Спасибо большое, всё отлично работает.", "positive", False),
        ("This is unacceptable, I am furious.", "negative", True),
        ("Это возмутительно, верните деньги.", "negative", True),
        ("I am not happy with the service.", "negative", False),
        ("Я не доволен, сколько можно ждать ответа.", "negative", False),
        ("WHY IS NOTHING WORKING TODAY", "negative", True),
        ("Where is my order!!!", "negative", True),
        ("How do I reset my password?", "neutral", False),
        ("Где мой заказ? Номер 1234.", "neutral", False),
        ("Not bad at all, just a question about invoices.", "neutral", False),
        ("Мне не плохо, просто вопрос по счёту.", "neutral", False),
        ("I am not very happy with the delivery.", "negative", False),
        # a negation turns only the word right after it, not the next sentence
        ("My printer does not print. Terrible service.", "negative", True),
        ("Принтер не печатает ужасно давно", "negative", True),
        # short stems do not catch longer unrelated words
        ("My badge does not open the door; the radio room too.", "neutral", False),
        ("Радиатор в офисе не греет, вызовите мастера.", "neutral", False),
    ],
)
def test_tone_in_both_languages(text, label, angry):
    found = tone(text)
    assert (found.label, found.angry) == (label, angry)


def test_a_huge_message_costs_no_more_than_its_start():
    found = tone("Thanks! " + "word " * 200_000 + "terrible")
    assert found.label == "positive"  # only the first 5,000 characters are read
