"""A long ticket in a real browser at 390 px: the newest messages first, "Load earlier"
brings the ones before them in place (htmx), down to the first message; en and ru."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from opora.accounts.models import User
from tests.tickets.test_long_threads import grow

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
BUTTON = {"en-US": "Load earlier messages", "ru-RU": "Показать более ранние сообщения"}


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_load_earlier_walks_back_to_the_first_message(
    open_session: Any, alice: User, dana: User, make_ticket: Any, locale: str
) -> None:
    # given a ticket of 70 messages after the first
    ticket = make_ticket(dana, body="message first")
    everything = grow(ticket, alice, dana, 70)
    alice.language = locale[:2]
    alice.save(update_fields=["language"])
    agent = open_session(locale)
    agent.page.set_viewport_size(PHONE)
    agent.sign_in(alice.email)
    page = agent.page

    # when Alice opens it on her phone, she sees the newest 30 and the button
    agent.go(f"/agent/tickets/{ticket.number}")
    messages = page.locator(".thread article.msg")
    expect(messages).to_have_count(30)
    expect(messages.last).to_contain_text(everything[-1].body)
    button = page.locator("[data-load-earlier]")
    expect(button).to_have_text(BUTTON[locale])

    # then each "Load earlier" adds the 30 before, above, without leaving the page
    button.click()
    expect(messages).to_have_count(60)
    expect(messages.first).to_contain_text(everything[-60].body)
    assert page.url.endswith(f"/agent/tickets/{ticket.number}")
    page.locator("[data-load-earlier]").click()
    expect(messages).to_have_count(len(everything))
    expect(messages.first).to_contain_text("message first")
    expect(page.locator("[data-load-earlier]")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
    agent.screenshot(f"long-thread-{locale[:2]}-phone")
