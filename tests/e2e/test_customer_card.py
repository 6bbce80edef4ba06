"""The customer card in a real browser, 390 px wide and in Russian: a team lead merges the
chat visitor who was Dana all along, with the keyboard, and the card shows the result."""

# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.identities import Contact, requester_for
from opora.tickets.models import Ticket

pytestmark = pytest.mark.e2e


def _widest_right_edge(page: Page) -> int:
    """Where the page's furthest element ends, in px (the top bar's navigation scrolls
    inside itself, so its own overflow does not count)."""
    return int(
        page.evaluate(
            "Math.max(document.documentElement.scrollWidth, ...Array.from("
            "document.querySelectorAll('main, main *, .topbar, .topbar-right, .topbar-right *'))"
            ".map(e => e.getBoundingClientRect().right))"
        )
    )


def test_a_team_lead_merges_a_duplicate_on_a_phone_sized_card(
    open_session, lena, dana, make_ticket
):
    # given Dana's e-mail ticket, and a chat visitor "Dana" with a ticket of her own
    lena.language = "ru"
    lena.save(update_fields=["language"])
    make_ticket(dana, subject="Счёт за март")
    visitor = requester_for(Contact(kind="chat", value="visitor-dana", name="Dana"))
    chat_ticket = make_ticket(visitor, subject="Не печатает принтер", channel="chat")
    lead = open_session("ru-RU")
    lead.page.set_viewport_size({"width": 390, "height": 844})
    lead.sign_in(lena.email)

    # when Lena opens Dana's card
    lead.go(f"/agent/customers/{dana.pk}")
    page = lead.page
    expect(page.locator("h1")).to_have_text("Dana")
    expect(page.locator("#customer-identities")).to_have_text("Способы связи")
    duplicate = page.locator(f"[data-duplicates] [data-duplicate='{visitor.pk}']")
    expect(duplicate).to_contain_text("нет e-mail")
    # the card fits the phone's width: nothing in it to scroll sideways
    assert _widest_right_edge(page) <= 390
    # and merges the visitor with the keyboard: focus the button, press Enter
    duplicate.locator("[data-merge]").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    # then the card has the chat ticket and the chat identity, and no duplicate left
    expect(page.locator(".flash")).to_contain_text("объединён")
    tickets = page.locator("[data-tickets]")
    expect(tickets.locator(f"[data-ticket='{chat_ticket.number}']")).to_contain_text(
        "Не печатает принтер"
    )
    expect(tickets.locator("li")).to_have_count(2)
    expect(page.locator("[data-identity='chat:visitor-dana']")).to_be_visible()
    expect(page.locator("[data-duplicates]")).to_contain_text("Не найдено.")
    expect(page.locator("[data-merged-accounts]")).to_contain_text("Dana")
    assert _widest_right_edge(page) <= 390
    lead.screenshot("customer-card")
    assert Ticket.objects.get(pk=chat_ticket.pk).requester_id == dana.pk
