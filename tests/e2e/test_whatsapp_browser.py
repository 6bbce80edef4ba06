"""WhatsApp in a real browser: an admin adds a number and "Test" shows its name as the
local Graph API server answers it; an agent on a ticket past the 24-hour window is told
so and sends an approved template instead. English and Russian, desktop and 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import Team, User
from opora.messengers.models import Conversation, WhatsAppNumber
from opora.messengers.tasks import drain_whatsapp_task
from opora.messengers.whatsapp import intake
from opora.tickets.models import Ticket
from tests.messengers.whatsapp_fixtures import APP_SECRET, notification, text_message
from tests.messengers.whatsapp_server import (
    ACCESS_TOKEN,
    PHONE_NUMBER_ID,
    VERIFIED_NAME,
    VERSION,
    WhatsAppServer,
)

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


@pytest.fixture
def whatsapp_api() -> Iterator[WhatsAppServer]:
    server = WhatsAppServer().start()
    yield server
    server.stop()


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"
    page.set_viewport_size(DESKTOP)


def test_an_admin_adds_a_whatsapp_number_and_tests_it(
    open_session: Any, ada: User, support: Team, whatsapp_api: WhatsAppServer
) -> None:
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page
    admin.go("/admin/channels/mailboxes/")
    page.get_by_role("link", name="WhatsApp").first.click()
    page.locator("[data-new-number]").click()
    form = page.locator("[data-number-form]")
    form.locator("input[name=name]").fill("Support line")
    form.locator("input[name=phone_number_id]").fill(PHONE_NUMBER_ID)
    form.locator("input[name=access_token]").fill(ACCESS_TOKEN)
    form.locator("input[name=app_secret]").fill(APP_SECRET)
    form.locator("input[name=api_base]").fill(whatsapp_api.url)
    form.locator("input[name=api_version]").fill(VERSION)
    form.locator("select[name=team]").select_option(str(support.pk))
    form.locator("textarea[name=templates]").fill("hello_again\norder_update")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-secret-set]").first).to_be_visible()
    assert page.locator("input[name=access_token]").input_value() == ""
    assert page.locator("input[name=app_secret]").input_value() == ""
    number = WhatsAppNumber.objects.get()
    expect(page.locator("[data-verify-token]")).to_have_value(number.verify_token)
    webhook = page.locator("[data-webhook-url]").input_value()
    assert webhook.endswith(f"/channels/whatsapp/{number.pk}/webhook")

    page.locator("[data-test-number]").click()
    expect(page.locator("[data-check=ok]")).to_contain_text(VERIFIED_NAME)
    admin.screenshot("console-whatsapp-number-en")
    fits_a_phone(page)
    page.set_viewport_size(PHONE)
    admin.screenshot("console-whatsapp-number-en-phone")
    page.set_viewport_size(DESKTOP)

    page.locator("[data-test-message] input[name=to]").fill("+15551234567")
    page.locator("[data-test-message] button[type=submit]").click()
    expect(page.locator("[data-check=ok]")).to_be_visible()
    assert whatsapp_api.messages()[-1]["to"] == "15551234567"

    whatsapp_api.stop()
    page.locator("[data-test-number]").click()
    expect(page.locator("[data-check=failed]")).to_be_visible()
    admin.go("/admin/channels/whatsapp/")
    expect(page.locator("[data-number='Support line']")).to_contain_text(VERIFIED_NAME)
    admin.screenshot("console-whatsapp-list-en")
    fits_a_phone(page)

    ada.language = "ru"
    ada.save(update_fields=["language"])
    russian = open_session("ru-RU")
    russian.sign_in(ada.email)
    russian.go(f"/admin/channels/whatsapp/{number.pk}/")
    rpage = russian.page
    expect(rpage.locator("[data-test-number]")).to_have_text("Проверить")
    expect(rpage.locator("[data-last-error]")).to_contain_text("Последняя ошибка")
    expect(rpage.locator("label[for=id_app_secret]")).to_have_text("Секрет приложения")
    russian.screenshot("console-whatsapp-number-ru")
    fits_a_phone(rpage)
    rpage.set_viewport_size(PHONE)
    russian.screenshot("console-whatsapp-number-ru-phone")


def test_an_agent_past_the_window_is_offered_a_template_and_sends_it(
    open_session: Any, ada: User, alice: User, support: Team, whatsapp_api: WhatsAppServer
) -> None:
    from opora.messengers.whatsapp.actions import create_number

    number = create_number(
        by=ada,
        values={
            "name": "Support line",
            "phone_number_id": PHONE_NUMBER_ID,
            "access_token": ACCESS_TOKEN,
            "app_secret": APP_SECRET,
            "api_base": whatsapp_api.url,
            "api_version": VERSION,
            "team": support.pk,
            "templates": ["hello_again", "order_update"],
        },
    )
    intake.keep(number, notification(messages=[text_message("Where is my order?")]))
    drain_whatsapp_task.call()
    Conversation.objects.update(last_inbound_at=timezone.now() - timedelta(hours=30))
    ticket = Ticket.objects.get()

    agent = open_session("en-US")
    agent.sign_in(alice.email)
    agent.go(f"/agent/tickets/{ticket.number}")
    page = agent.page
    card = page.locator("[data-whatsapp-window=closed]")
    expect(card).to_contain_text("24-hour window closed on")
    agent.screenshot("ticket-whatsapp-window-closed-en")
    fits_a_phone(page)
    page.set_viewport_size(PHONE)
    agent.screenshot("ticket-whatsapp-window-closed-en-phone")
    page.set_viewport_size(DESKTOP)

    form = page.locator("[data-whatsapp-template]")
    form.locator("select[name=name]").select_option("order_update")
    form.locator("textarea[name=params]").fill("Maria\nA-1042")
    form.locator("button[type=submit]").click()
    expect(page.locator(".thread")).to_contain_text("order_update")

    alice.language = "ru"
    alice.save(update_fields=["language"])
    russian = open_session("ru-RU")
    russian.sign_in(alice.email)
    russian.go(f"/agent/tickets/{ticket.number}")
    rpage = russian.page
    expect(rpage.locator("[data-whatsapp-window=closed]")).to_contain_text("24-часовое окно")
    russian.screenshot("ticket-whatsapp-window-closed-ru")
    fits_a_phone(rpage)
    rpage.set_viewport_size(PHONE)
    russian.screenshot("ticket-whatsapp-window-closed-ru-phone")
