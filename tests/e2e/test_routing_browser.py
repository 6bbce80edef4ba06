# ruff: noqa: RUF001
"""Routing in a real browser: an administrator sets a team to least loaded in the
console, two agents choose their presence with the navigation's switch (one online, one
away), a new ticket goes to the one online, and the team-load panel shows it without a
reload; screens in English and Russian, and the switch at a phone's 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.actions import create_team
from opora.accounts.models import Team, User
from opora.chat.models import AgentPresence
from opora.core.tasks import run_queued_tasks
from opora.tickets import actions
from opora.tickets.models import Ticket
from tests.e2e.chat_server import asgi_live_server, open_chat_session

pytestmark = pytest.mark.e2e
__all__ = ["asgi_live_server", "open_chat_session"]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


@pytest.fixture
def desk(ada: User, alice: User, otto: User) -> Team:
    return create_team(name="Desk", members=[alice.pk, otto.pk], by=ada)


def choose_presence(page: Page, status: str) -> None:
    """By keyboard: the switch takes focus and its value like any select."""
    switch = page.locator("#nav-presence")
    switch.focus()
    assert page.evaluate("document.activeElement.id") == "nav-presence"
    with page.expect_response(lambda r: r.url.endswith("/agent/presence")) as answer:
        switch.select_option(status)
    assert answer.value.ok
    expect(page.locator("[data-nav-presence-dot]")).to_have_class(f"presence-dot {status}")


def in_russian(page: Page) -> None:
    """The topbar's language switch: the account's language from now on."""
    page.locator("button[name=language][value=ru]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def switch_fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"
    box = page.locator("#nav-presence").bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    expect(page.locator("[data-nav-presence-dot]")).to_be_visible()


def test_a_ticket_goes_to_the_agent_online_and_the_lead_sees_it_live(
    open_session: Any, ada: User, alice: User, otto: User, dana: User, desk: Team
) -> None:
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page

    # The administrator sets the team to least loaded.
    admin.go(f"/admin/routing/?team={desk.pk}")
    page.select_option("select[name=strategy]", "least_loaded")
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()
    expect(page.locator("select[name=strategy]")).to_have_value("least_loaded")
    admin.screenshot("console-routing-en")

    # Two agents set their presence in the navigation.
    first = open_session("en-US")
    first.sign_in(alice.email)
    first.go("/agent/")
    choose_presence(first.page, "online")
    first.screenshot("nav-presence-online-en")
    second = open_session("en-US")
    second.sign_in(otto.email)
    second.go("/agent/")
    choose_presence(second.page, "away")
    assert AgentPresence.objects.get(agent=alice).status == "online"
    assert AgentPresence.objects.get(agent=otto).status == "away"
    # Another page of the same agent shows the same state.
    first.go("/agent/profile")
    expect(first.page.locator("#nav-presence")).to_have_value("online")

    # The lead's team-load panel, open before the ticket arrives.
    admin.go(f"/admin/routing/load/?team={desk.pk}")
    row = page.locator(f"[data-team-load] tr[data-agent='{alice.pk}']")
    expect(row.locator("[data-presence]")).to_have_attribute("data-presence", "online")
    expect(
        page.locator(f"[data-team-load] tr[data-agent='{otto.pk}'] [data-presence]")
    ).to_have_attribute("data-presence", "away")
    expect(row.locator("[data-group=email]")).to_have_text("0 / 10")
    page.evaluate("window.notReloaded = true")

    ticket = actions.create_ticket(
        requester=dana, by=ada, subject="Printer", body="It does not print.", team=desk
    )
    run_queued_tasks()
    assert Ticket.objects.get(pk=ticket.pk).assignee == alice
    expect(row.locator("[data-group=email]")).to_have_text("1 / 10")
    assert page.evaluate("window.notReloaded") is True
    admin.screenshot("console-team-load-en")

    # The agent's switch at a phone's width.
    switch_fits_a_phone(first.page)
    first.screenshot("nav-presence-en-phone")


def test_the_switch_and_the_console_in_russian(
    open_session: Any, ada: User, alice: User, desk: Team
) -> None:
    agent = open_session("ru-RU")
    agent.sign_in(alice.email)
    agent.go("/agent/")
    in_russian(agent.page)
    expect(agent.page.locator("#nav-presence option[value=online]")).to_have_text("В сети")
    choose_presence(agent.page, "away")
    agent.screenshot("nav-presence-away-ru")
    switch_fits_a_phone(agent.page)
    agent.screenshot("nav-presence-ru-phone")
    admin = open_session("ru-RU")
    admin.sign_in(ada.email)
    admin.go(f"/admin/routing/?team={desk.pk}")
    in_russian(admin.page)
    admin.screenshot("console-routing-ru")
    admin.go(f"/admin/routing/load/?team={desk.pk}")
    expect(admin.page.locator(f"tr[data-agent='{alice.pk}'] [data-presence]")).to_contain_text(
        "Отошёл"
    )
    admin.screenshot("console-team-load-ru")


def test_the_nav_switch_and_the_chat_inbox_show_one_state(
    open_chat_session: Any, alice: User
) -> None:
    session = open_chat_session("en-US")
    session.sign_in(alice.email)
    session.go("/agent/chat/")
    page = session.page
    online = page.get_by_role("radio", name="Online")
    expect(online).to_be_enabled()  # the chat socket is open
    # The navigation's switch moves the chat page's own control...
    choose_presence(page, "online")
    expect(online).to_be_checked()
    expect(page.locator("[data-presence-dot]")).to_have_class("presence-dot online")
    # ...and the chat page's control moves the switch, here and in another tab.
    other = session.context.new_page()
    other.goto(session.base_url + "/agent/")
    expect(other.locator("#nav-presence")).to_have_value("online")
    page.get_by_role("radio", name="Away").check()
    expect(page.locator("#nav-presence")).to_have_value("away")
    expect(page.locator("[data-nav-presence-dot]")).to_have_class("presence-dot away")
    expect(other.locator("#nav-presence")).to_have_value("away")
    assert AgentPresence.objects.get(agent=alice).status == "away"
