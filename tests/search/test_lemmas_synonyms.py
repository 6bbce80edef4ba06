"""Knowledge-base search finds the right article first: Russian lemmas, the support
synonym vocabulary, typos, field weights and what customers found helpful.

Each test holds a decoy that would come first (or tie) without the feature."""

from __future__ import annotations

from django.test import Client

from opora.kb import actions
from opora.kb.models import Deflection
from opora.kb.selectors import search_articles
from tests.writes import nothing_written


def first(q, language=None):
    found = search_articles(None, q, language=language)
    return found[0].object_id if found else None


def test_a_russian_word_form_finds_the_article_by_its_lemma(make_article):
    # "придёт" and "пришёл" share no stem, only the lemma "прийти"
    make_article("Курьер позвонил заранее", "Курьер звонит за час до приезда.", language="ru")
    came = make_article("Курьер не пришёл", "Что делать, если курьер не пришёл.", language="ru")
    assert first("когда придёт курьер", "ru") == came.pk


def test_a_synonym_phrase_finds_the_article_in_other_words(make_article):
    # the shipped vocabulary: "деньги не пришли" ~ "платёж не зачислен"
    make_article("Деньги на подарочной карте", "Подарочную карту можно потратить.", language="ru")
    credited = make_article(
        "Платёж не зачислен на баланс", "Перевод зачисляется за день.", language="ru"
    )
    assert first("деньги не пришли", "ru") == credited.pk


def test_an_english_phrase_synonym(make_article):
    make_article("Sign out on a shared computer", "Sign out when you leave.")
    fails = make_article("Sign-in fails", "Check Caps Lock and the keyboard layout.")
    assert first("can't log in") == fails.pk


def test_a_typo_finds_the_article(make_article):
    make_article("Возврат на карту", "Деньги вернутся на карту.", language="ru")
    wallet = make_article("Возврат на кошелёк", "Деньги вернутся в кошелёк.", language="ru")
    assert first("возврат на кашелек", "ru") == wallet.pk


def test_the_title_weighs_more_than_headings_and_headings_more_than_the_body(make_article):
    body = make_article("Orders", "You can change the delivery address before shipping.")
    heading = make_article("Shipping", "## Delivery address\nChange it in Orders.")
    title = make_article("Delivery address", "Change it in Orders until the order ships.")
    found = [h.object_id for h in search_articles(None, "delivery address")]
    assert found[:3] == [title.pk, heading.pk, body.pk]


def test_helpful_votes_lift_an_article_among_equals(make_article):
    cards = make_article("Refund timing for cards", "Refund timing depends on the bank.")
    wallets = make_article("Refund timing for wallets", "Refund timing depends on the wallet.")
    assert first("refund timing") == cards.pk
    for voter in range(5):
        actions.vote(wallets, voter=f"session:{voter}", helpful=True)
    assert first("refund timing") == wallets.pk


def test_articles_customers_left_satisfied_from_lift_for_similar_questions(make_article, dana):
    cards = make_article("Refund timing for cards", "Refund timing depends on the bank.")
    wallets = make_article("Refund timing for wallets", "Refund timing depends on the wallet.")
    for _ in range(3):
        actions.record_deflection("deflected", article=wallets, user=dana, query="refund timing?")
    assert first("refund timing") == wallets.pk
    # a different question is not lifted by them
    assert first("refund cards") == cards.pk


def test_feedback_never_puts_an_article_above_an_exact_title_match(make_article, dana):
    exact = make_article("Refund to card", "How a refund reaches the card.")
    popular = make_article("Refund to card or wallet", "Refund to card or wallet explained.")
    for voter in range(200):
        actions.vote(popular, voter=f"session:{voter}", helpful=True)
    for _ in range(20):
        actions.record_deflection("deflected", article=popular, user=dana, query="refund to card")
    found = search_articles(None, "refund to card")
    assert [h.object_id for h in found[:2]] == [exact.pk, popular.pk]


def test_articles_customers_open_from_the_results_lift_for_that_search(make_article, client):
    cards = make_article("Refund timing for cards", "Refund timing depends on the bank.")
    wallets = make_article("Refund timing for wallets", "Refund timing depends on the wallet.")
    assert first("refund timing") == cards.pk
    # the results link carries the search, so opening an article is remembered
    results = client.get("/help/search/?q=refund+timing").content.decode()
    assert f'/help/articles/{wallets.pk}/?q=refund%20timing"' in results
    for _ in range(4):  # four visitors, each in their own session
        visitor = Client()
        assert visitor.get(f"/help/articles/{wallets.pk}/?q=refund timing").status_code == 200
        visitor.get(f"/help/articles/{wallets.pk}/?q=refund timing")  # once per session
    assert Deflection.objects.filter(kind="opened", article=wallets).count() == 4
    assert first("refund timing") == wallets.pk
    assert first("refund cards") == cards.pk  # another search is not lifted


def test_the_desks_own_clicks_teach_search_nothing(make_article, alice):
    wallets = make_article("Refund timing for wallets", "Refund timing depends on the wallet.")
    agent = Client()
    agent.force_login(alice)
    with nothing_written():
        agent.get(f"/help/articles/{wallets.pk}/?q=refund timing")
