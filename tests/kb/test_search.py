"""Article search: Russian and English word forms, typos, title boost, snippets.

Runs on whichever engine the suite runs on: SQLite FTS5 or PostgreSQL full-text.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def kb(make_article):
    return {
        "print_ru": make_article(
            "Печать на принтере",
            "Если документ не выходит из принтера, проверьте очередь печати и бумагу.",
            language="ru",
        ),
        "password_ru": make_article(
            "Как сменить пароль",
            "Откройте профиль и нажмите «Сменить пароль». Ссылка придёт на почту.",
            language="ru",
        ),
        "print_en": make_article(
            "Printer does not print",
            "Check the print queue, the paper tray and the cable. Restart the spooler.",
        ),
        "invoice_en": make_article(
            "Download an invoice",
            "Invoices are in Billing → Documents. Each invoice can be saved as PDF.",
        ),
        "vpn_en": make_article(
            "VPN connection drops",
            "If the connection drops every few minutes, update the client. "
            "A printer on the same network is not affected.",
        ),
    }


def ids(response):
    return [r["id"] for r in response.json()]


def test_it_finds_russian_articles_by_other_word_forms(api, kb):
    # when a customer writes the way they speak
    found = api(None).get("/kb/search", {"q": "принтер не печатает", "lang": "ru"})
    # then the article titled with other forms of the words comes first
    assert found.status_code == 200
    assert ids(found)[0] == kb["print_ru"].pk


def test_it_finds_english_articles_by_other_word_forms(api, kb):
    found = api(None).get("/kb/search", {"q": "printing fails", "lang": "en"})
    assert ids(found)[0] == kb["print_en"].pk


def test_it_forgives_typos(api, kb):
    assert ids(api(None).get("/kb/search", {"q": "invoise download"}))[0] == kb["invoice_en"].pk
    assert ids(api(None).get("/kb/search", {"q": "сменить пороль"}))[0] == kb["password_ru"].pk


def test_title_matches_rank_above_body_matches(api, kb):
    # given "printer" is in one title and in another article's body
    found = ids(api(None).get("/kb/search", {"q": "printer", "lang": "en"}))
    # then the article about printers comes before the one that mentions a printer
    assert found.index(kb["print_en"].pk) < found.index(kb["vpn_en"].pk)


def test_results_carry_id_title_and_a_highlighted_snippet(api, kb):
    result = api(None).get("/kb/search", {"q": "invoices pdf"}).json()[0]
    assert result["id"] == kb["invoice_en"].pk
    assert result["title"] == "Download an invoice"
    assert "<mark>invoice</mark>" in result["snippet"]
    assert "<mark>PDF</mark>" in result["snippet"]


def test_the_language_filter_keeps_to_one_language(api, kb):
    found = api(None).get("/kb/search", {"q": "printer принтер", "lang": "en"}).json()
    assert found
    assert {r["language"] for r in found} == {"en"}


def test_snippets_escape_html_from_articles(api, make_article):
    make_article("Scripts", "Never paste <script>alert(1)</script> into the console.")
    result = api(None).get("/kb/search", {"q": "console"}).json()[0]
    assert "<script>" not in result["snippet"]
    assert "&lt;script&gt;" in result["snippet"]


def test_an_empty_query_is_a_clear_error(api, kb):
    answer = api(None).get("/kb/search", {"q": ""})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "q"
