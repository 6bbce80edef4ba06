"""The VK page of the console in a real browser: an admin adds a community, "Test"
shows the community's name as the local VK API server answers it, a test message goes
out; English and Russian, on a desktop and at a phone's 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import Team, User
from opora.messengers.models import VkCommunity
from tests.messengers.vk_server import CONFIRMATION, GROUP_ID, GROUP_NAME, SECRET, TOKEN, VkServer

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


@pytest.fixture
def vk_api() -> Iterator[VkServer]:
    server = VkServer().start()
    yield server
    server.stop()


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"
    page.set_viewport_size(DESKTOP)


def test_an_admin_adds_a_vk_community_and_tests_it(
    open_session: Any, ada: User, support: Team, vk_api: VkServer
) -> None:
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page
    admin.go("/admin/channels/mailboxes/")
    page.get_by_role("link", name="VK", exact=True).first.click()
    page.locator("[data-new-community]").click()
    form = page.locator("[data-community-form]")
    form.locator("input[name=name]").fill("Shop VK")
    form.locator("input[name=group_id]").fill(f"club{GROUP_ID}")
    form.locator("input[name=token]").fill(TOKEN)
    form.locator("input[name=confirmation]").fill(CONFIRMATION)
    form.locator("input[name=secret_key]").fill(SECRET)
    form.locator("input[name=api_base]").fill(vk_api.url)
    form.locator("select[name=team]").select_option(str(support.pk))
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-token-set]")).to_be_visible()
    expect(page.locator("[data-secret-set]")).to_be_visible()
    assert page.locator("input[name=token]").input_value() == ""
    assert page.locator("input[name=secret_key]").input_value() == ""
    expect(page.locator("[data-callback-url]")).to_contain_text("/callback")

    page.locator("[data-test-community]").click()
    expect(page.locator("[data-check=ok]")).to_contain_text(GROUP_NAME)
    expect(page.locator("h1")).to_contain_text(GROUP_NAME)
    admin.screenshot("console-vk-community-en")
    fits_a_phone(page)
    page.set_viewport_size(PHONE)
    admin.screenshot("console-vk-community-en-phone")
    page.set_viewport_size(DESKTOP)

    page.locator("[data-test-message] input[name=peer_id]").fill("4242")
    page.locator("[data-test-message] button[type=submit]").click()
    expect(page.locator("[data-check=ok]")).to_be_visible()
    assert vk_api.sent("messages.send")[-1].params["peer_id"] == "4242"

    # The server goes away: the test says so, and the list shows the error.
    vk_api.stop()
    page.locator("[data-test-community]").click()
    expect(page.locator("[data-check=failed]")).to_be_visible()
    admin.go("/admin/channels/vk/")
    expect(page.locator("[data-community='Shop VK']")).to_contain_text(GROUP_NAME)
    admin.screenshot("console-vk-list-en")
    fits_a_phone(page)

    community = VkCommunity.objects.get()
    ada.language = "ru"
    ada.save(update_fields=["language"])
    russian = open_session("ru-RU")
    russian.sign_in(ada.email)
    russian.go(f"/admin/channels/vk/{community.pk}/")
    rpage = russian.page
    expect(rpage.locator("[data-test-community]")).to_have_text("Проверить")
    expect(rpage.locator("[data-last-error]")).to_contain_text("Последняя ошибка")
    expect(rpage.locator("[data-callback-url]")).to_contain_text("Callback API")
    russian.screenshot("console-vk-community-ru")
    fits_a_phone(rpage)
    rpage.set_viewport_size(PHONE)
    russian.screenshot("console-vk-community-ru-phone")
    russian.go("/admin/channels/vk/new")
    expect(rpage.locator("label[for=id_token]")).to_have_text("Ключ доступа")
    fits_a_phone(rpage)
