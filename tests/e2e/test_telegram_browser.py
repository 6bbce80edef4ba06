"""The Telegram page of the console in a real browser: an admin adds a bot, "Test"
shows the bot's username as the local Bot API server answers it; English and Russian,
on a desktop and at a phone's 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import Team, User
from opora.messengers.models import TelegramBot
from tests.messengers.telegram_server import TOKEN, USERNAME, TelegramServer

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


@pytest.fixture
def telegram_api() -> Iterator[TelegramServer]:
    server = TelegramServer().start()
    yield server
    server.stop()


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"
    page.set_viewport_size(DESKTOP)


def test_an_admin_adds_a_telegram_bot_and_tests_it(
    open_session: Any, ada: User, support: Team, telegram_api: TelegramServer
) -> None:
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page
    admin.go("/admin/channels/mailboxes/")
    page.get_by_role("link", name="Telegram").first.click()
    page.locator("[data-new-bot]").click()
    form = page.locator("[data-bot-form]")
    form.locator("input[name=name]").fill("Shop support")
    form.locator("input[name=token]").fill(TOKEN)
    form.locator("select[name=mode]").select_option("polling")
    form.locator("input[name=api_base]").fill(telegram_api.url)
    form.locator("select[name=team]").select_option(str(support.pk))
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-token-set]")).to_be_visible()
    assert page.locator("input[name=token]").input_value() == ""

    page.locator("[data-test-bot]").click()
    expect(page.locator("[data-check=ok]")).to_contain_text(f"@{USERNAME}")
    expect(page.locator("h1")).to_contain_text(f"@{USERNAME}")
    admin.screenshot("console-telegram-bot-en")
    fits_a_phone(page)
    page.set_viewport_size(PHONE)
    admin.screenshot("console-telegram-bot-en-phone")
    page.set_viewport_size(DESKTOP)

    page.locator("[data-test-message] input[name=chat_id]").fill("4242")
    page.locator("[data-test-message] button[type=submit]").click()
    expect(page.locator("[data-check=ok]")).to_be_visible()
    assert telegram_api.sent("sendMessage")[-1].params["chat_id"] == "4242"

    # The server goes away: the test says so, and the list shows the error.
    telegram_api.stop()
    page.locator("[data-test-bot]").click()
    expect(page.locator("[data-check=failed]")).to_be_visible()
    admin.go("/admin/channels/telegram/")
    expect(page.locator("[data-bot='Shop support']")).to_contain_text(f"@{USERNAME}")
    admin.screenshot("console-telegram-list-en")
    fits_a_phone(page)

    bot = TelegramBot.objects.get()
    ada.language = "ru"
    ada.save(update_fields=["language"])
    russian = open_session("ru-RU")
    russian.sign_in(ada.email)
    russian.go(f"/admin/channels/telegram/{bot.pk}/")
    rpage = russian.page
    expect(rpage.locator("[data-test-bot]")).to_have_text("Проверить")
    expect(rpage.locator("[data-last-error]")).to_contain_text("Последняя ошибка")
    russian.screenshot("console-telegram-bot-ru")
    fits_a_phone(rpage)
    rpage.set_viewport_size(PHONE)
    russian.screenshot("console-telegram-bot-ru-phone")
    russian.go("/admin/channels/telegram/new")
    expect(rpage.locator("label[for=id_token]")).to_have_text("Токен бота")
    fits_a_phone(rpage)
