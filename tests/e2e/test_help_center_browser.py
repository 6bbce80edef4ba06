"""The help center in a real browser: search, and suggestions while a request is typed.

Debian's chromium driven by Playwright against pytest-django's live server;
screenshots go to var/screenshots/.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

# The sync Playwright API runs an event loop in this thread; Django's ORM would
# otherwise refuse the fixtures' queries as "called from an async context".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page

from opora.kb.models import Deflection

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture
def chromium(browser: Browser) -> Browser:
    # The session-wide browser of tests/e2e/conftest.py.
    return browser


def new_page(chromium: Browser, locale: str) -> Page:
    context = chromium.new_context(
        locale=locale,
        viewport={"width": 1280, "height": 900},
        extra_http_headers={"Accept-Language": locale},
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # A tab opened by a click may still be in the background, where headless chromium
    # cannot capture it.
    page.bring_to_front()
    page.wait_for_load_state()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def articles(transactional_db: None, alice: Any) -> dict[str, Any]:
    from opora.kb.actions import create_article

    return {
        "ru": create_article(
            by=alice,
            title="Печать на принтере",
            body="Проверьте очередь печати и бумагу. Перезапустите *Диспетчер печати*.",
            language="ru",
            status="published",
        ),
        "en": create_article(
            by=alice,
            title="Printer does not print",
            body="Check the print queue and the paper tray.",
            status="published",
        ),
        "internal": create_article(
            by=alice,
            title="Printer admin password",
            body="Kept in the vault.",
            status="internal",
        ),
    }


def test_a_visitor_searches_the_help_center_in_russian(chromium, live_server, articles):
    # given a Russian-speaking visitor who is not signed in
    page = new_page(chromium, "ru-RU")
    page.goto(live_server.url + "/help/")
    assert page.locator("h1").inner_text() == "Центр помощи"
    # when they search the way they speak
    page.fill("input[name=q]", "принтер не печатает")
    page.click("form.search button")
    # then the article comes first, its matching words highlighted
    first = page.locator("#results .result").first
    assert first.locator("a").inner_text() == "Печать на принтере"
    assert first.locator("mark").count() >= 1
    shot(page, "kb-help-center-search")
    # and reading it counts a view
    first.locator("a").click()
    page.wait_for_selector("article.kb")
    assert page.locator("#views").inner_text() == "1"
    page.click("#vote button[data-helpful=true]")
    page.wait_for_selector("#vote-thanks:not([hidden])")
    shot(page, "kb-help-center-article")
    articles["ru"].refresh_from_db()
    assert (articles["ru"].view_count, articles["ru"].helpful_yes) == (1, 1)


def test_suggestions_appear_while_a_request_is_typed(chromium, live_server, articles, dana):
    # given Dana is signed in (her session cookie handed to the browser)
    client = Client()
    client.force_login(dana)
    page = new_page(chromium, "en-US")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(live_server.url + "/help/ask/?lang=en")
    # when she types her request
    page.locator("#subject").press_sequentially("printing fails", delay=30)
    # then matching public articles appear, never internal ones
    page.wait_for_selector("#suggestions:not([hidden])")
    titles = page.locator("#suggestion-list a").all_inner_texts()
    assert titles[0] == "Printer does not print"
    assert "Printer admin password" not in titles
    shot(page, "kb-request-suggestions")
    assert Deflection.objects.filter(kind="suggested").count() == 1
    # when she opens the suggestion and leaves after reading it
    with page.context.expect_page() as opened:
        page.locator("#suggestion-list a").first.click()
    article = opened.value
    article.wait_for_selector("article.kb")
    shot(article, "kb-suggested-article")
    article.goto(live_server.url + "/help/?lang=en")
    # then it counts as a deflection (the beacon is sent as the page closes)
    for _ in range(50):
        if Deflection.objects.filter(kind="deflected").exists():
            break
        time.sleep(0.1)
    deflection = Deflection.objects.get(kind="deflected")
    assert deflection.article_id == articles["en"].pk
    # when she sends the request anyway, it was not deflected after all
    page.fill("#body", "The printer shows error 50.")
    page.click("#ask button[type=submit]")
    page.wait_for_selector("text=Your request has been sent")
    assert not Deflection.objects.filter(kind="deflected").exists()


def test_the_help_center_speaks_russian_in_the_portal_layout(chromium, live_server, articles):
    # given a Russian-speaking visitor
    page = new_page(chromium, "ru-RU")
    # when they open the help center
    page.goto(live_server.url + "/help/")
    # then the portal's header and the page's own words are Russian
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == "Центр помощи"
    assert page.locator(".topnav").inner_text().split() == [
        "Центр",
        "помощи",
        "Отправить",
        "заявку",
    ]
    assert page.locator(".lang-switch button.on").inner_text() == "RU"
    assert page.locator("input[name=q]").get_attribute("placeholder") == "Опишите ваш вопрос…"
    assert "Популярные статьи" in page.locator(".help-popular h2").inner_text()
    assert "Печать на принтере" in page.locator(".help-popular").inner_text()
    shot(page, "help-center-ru")
    # when they switch to English with the portal's switcher
    page.click(".lang-switch button[value=en]")
    page.wait_for_selector("text=Help center")
    assert page.locator("h1").inner_text() == "Help center"
    assert "Printer does not print" in page.locator(".help-popular").inner_text()
