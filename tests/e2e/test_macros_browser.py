"""A macro applied from the composer with the keyboard: open the picker, search, choose,
see the text and the changes, send; the reply and the changes land together. en and ru,
desktop and 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from opora.accounts.models import User
from opora.automation.macros import MacroInput, create_macro
from opora.automation.models import Macro
from opora.tickets import actions
from opora.tickets.models import Ticket

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("locale", "language"), [("en-US", "en"), ("ru-RU", "ru")])
def test_apply_a_macro_from_the_composer_with_the_keyboard(
    open_session: Any, alice: User, dana: User, support: Any, locale: str, language: str
) -> None:
    create_macro(MacroInput(title="Printer restart", body_en="Restart it"), by=alice)
    macro = create_macro(
        MacroInput(
            title="Waiting for logs",
            body_en="Hello {{customer.first_name}}, please send the logs of #{{ticket.number}}.",
            body_ru="Здравствуйте, {{customer.first_name}}! Пришлите журналы заявки "
            "{{ticket.number}}.",
            actions={"status": "pending", "priority": "high", "add_tags": ["logs"]},
        ),
        by=alice,
    )
    ticket = actions.create_ticket(
        requester=dana, by=dana, subject="Printer", body="It jams.", language=language
    )
    ticket = actions.update_ticket(ticket, actions.TicketChanges(team=support.pk), by=alice)

    alice.language = language  # the desk speaks to her in her own language
    alice.save(update_fields=["language"])
    agent = open_session(locale)
    agent.sign_in(alice.email)
    page = agent.page
    agent.go(f"/agent/tickets/{ticket.number}")

    page.keyboard.press("m")
    search = page.locator("[data-macro-search]")
    expect(search).to_be_focused()
    page.keyboard.type("logs")
    expect(page.locator("[data-macro-option]")).to_have_text(["Waiting for logs"])
    page.keyboard.press("Enter")

    body = page.locator("#composer-body")
    expected = (
        f"Здравствуйте, Dana! Пришлите журналы заявки {ticket.number}."
        if language == "ru"
        else f"Hello Dana, please send the logs of #{ticket.number}."
    )
    expect(body).to_have_value(expected)
    expect(body).to_be_focused()
    chosen = page.locator("[data-macro-chosen]")
    expect(chosen).to_be_visible()
    expect(chosen.locator("[data-macro-actions] li")).to_have_count(3)
    agent.screenshot(f"macros-preview-{language}")

    page.keyboard.press("Control+Enter")
    expect(page.locator(".thread")).to_contain_text(expected)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.priority) == ("pending", 3)
    assert list(ticket.tags.values_list("name", flat=True)) == ["logs"]
    assert Macro.objects.get(pk=macro.pk).usage_count == 1
    agent.screenshot(f"macros-sent-{language}")

    # "My macros" in the console, with how often each was used; fits a phone
    agent.go("/admin/macros/")
    expect(page.locator("[data-macro='Waiting for logs'] [data-usage]")).to_have_text("1")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    agent.screenshot(f"macros-console-{language}-phone")
