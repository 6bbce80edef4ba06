"""The help center speaks like the portal: the user's language, else ?lang, cookie, browser."""

from __future__ import annotations

from django.test import Client

from opora.accounts.actions import set_user_language


def test_a_visitor_gets_the_portal_layout_in_the_browsers_language(make_article):
    make_article("Печать на принтере", language="ru")
    page = Client().get("/help/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9").content.decode()
    # the portal's header with its language switcher, the page's own words in Russian
    assert '<html lang="ru">' in page
    assert 'class="lang-switch"' in page and 'class="topbar"' in page
    assert "<h1>Центр помощи</h1>" in page
    assert "Отправить заявку" in page and "Популярные статьи" in page
    assert "Опишите ваш вопрос…" in page


def test_a_visitors_lang_choice_sticks_in_the_cookie(make_article):
    visitor = Client()
    make_article("Printer does not print")
    chosen = visitor.get("/help/", {"lang": "ru"}, HTTP_ACCEPT_LANGUAGE="en")
    assert chosen.cookies["django_language"].value == "ru"
    # the next page, without ?lang, stays Russian; the switcher drops the stale ?lang
    page = visitor.get("/help/search/", {"q": "zebra"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Ничего не найдено" in page.content.decode()
    switcher = visitor.get("/help/search/", {"q": "x", "lang": "ru"}).content.decode()
    assert 'name="next" value="/help/search/?q=x"' in switcher


def test_the_portal_switcher_changes_the_help_center(make_article):
    visitor = Client()
    visitor.post("/language", {"language": "ru", "next": "/help/"})
    assert "Центр помощи" in visitor.get("/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_users_own_language_comes_first(client, dana, make_article):
    set_user_language(dana, "ru")
    client.force_login(dana)
    page = client.get("/help/", {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Центр помощи</h1>" in page and "Мои заявки" in page
    assert "Отправить" in client.get("/help/ask/").content.decode()


def test_an_article_page_in_russian(make_article):
    article = make_article("Printer does not print", "Check the queue.")
    page = Client().get(f"/help/articles/{article.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    # the page speaks Russian; the article keeps its own language
    assert "Статья была полезна?" in page and "Просмотров:" in page
    assert f'data-article="{article.pk}" lang="en"' in page
