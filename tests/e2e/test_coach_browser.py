"""The reply coach in the composer, in a real browser: a draft without greeting or
closing and with jargon gets its warnings as the agent types; one click inserts the
greeting with the customer's first name; en and ru, desktop and 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from opora.accounts.actions import create_user
from opora.accounts.models import User
from opora.tickets import actions
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("locale", "language", "customer", "draft", "greeting", "fix_label"),
    [
        ("en-US", "en", "Anna Smith", "Your ticket went to L2.", "Hello, Anna!", "Insert greeting"),
        (
            "ru-RU",
            "ru",
            "Сидоров Иван Петрович",
            "Ваш тикет передан на L2.",
            "Здравствуйте, Иван Петрович!",
            "Вставить приветствие",
        ),
    ],
)
def test_the_coach_warns_as_the_agent_types_and_fixes_the_greeting(
    open_session: Any,
    alice: User,
    support: Any,
    locale: str,
    language: str,
    customer: str,
    draft: str,
    greeting: str,
    fix_label: str,
) -> None:
    requester = create_user(
        email=f"c-{language}@example.test", name=customer, password=PASSWORD, by=None
    )
    ticket = actions.create_ticket(
        requester=requester,
        subject="Printer",
        body="It does not print.",
        by=alice,
        team=support,
        language=language,
    )
    alice.language = language  # the agent's own language: the coach's hints are in it
    alice.save(update_fields=["language"])
    session = open_session(locale)
    session.sign_in(alice.email)
    page = session.page
    session.go(f"/agent/tickets/{ticket.number}")
    page.locator("#composer-body").fill(draft)
    coach = page.locator("[data-coach]")
    expect(coach.locator("li[data-rule=jargon]")).to_be_visible()
    expect(coach.locator("li[data-rule=greeting]")).to_be_visible()
    expect(coach.locator("li[data-rule=closing]")).to_be_visible()
    session.screenshot(f"coach-warning-{language}")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    session.screenshot(f"coach-warning-{language}-phone")
    page.set_viewport_size({"width": 1440, "height": 900})
    # one click puts the greeting with the customer's own name first
    coach.get_by_role("button", name=fix_label).click()
    expect(page.locator("#composer-body")).to_have_value(f"{greeting}\n\n{draft}")
    expect(coach.locator("li[data-rule=greeting]")).to_have_count(0)
    expect(coach.locator("li[data-rule=jargon]")).to_be_visible()
    session.screenshot(f"coach-fixed-{language}")
