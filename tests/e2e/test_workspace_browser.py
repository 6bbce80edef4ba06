"""The workspace in a real browser, in English and Russian, on a desktop and at a
phone's 390 px: the queue with its SLA column, the profile, the organization page, and
the portal's article suggestions on a new request."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import Organization, User
from opora.kb import actions as kb
from tests.sla.conftest import office, policy

pytestmark = pytest.mark.e2e
__all__ = ["office", "policy"]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


def fits_a_phone(page: Page) -> None:
    """At 390 px nothing scrolls sideways."""
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('body *'))"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    assert width <= 390, f"{page.url} is {width} px wide at 390 px: {wide}"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_queue_profile_and_organization_fit_a_phone(
    open_session: Any,
    lang: str,
    alice: User,
    dana: User,
    acme: Organization,
    make_ticket: Any,
    policy: Any,
) -> None:
    alice.language = lang
    alice.save(update_fields=["language"])
    make_ticket(dana, subject="The printer on floor 3 does not print anything at all")
    make_ticket(dana, subject="VPN drops every hour", priority="urgent")
    session = open_session("en-US" if lang == "en" else "ru-RU")
    session.sign_in(alice.email)
    page = session.page

    # the queue shows the SLA column on a desktop and on a phone
    page.set_viewport_size(DESKTOP)
    session.go("/agent/?view=open&sort=due")
    expect(page.locator("th.c-sla")).to_be_visible()
    expect(page.locator("td.c-sla [data-sla-state]").first).to_be_visible()
    session.screenshot(f"workspace-queue-{lang}")
    fits_a_phone(page)
    expect(page.locator("td.c-sla [data-sla-state]").first).to_be_visible()
    session.screenshot(f"workspace-queue-{lang}-phone")
    # keyboard navigation still moves through the rows
    page.set_viewport_size(DESKTOP)
    page.keyboard.press("j")
    expect(page.locator(".ticket-row.current")).to_have_count(1)

    # the profile: edit the signature and the SLA e-mails, on a phone
    session.go("/agent/profile")
    fits_a_phone(page)
    session.screenshot(f"workspace-profile-{lang}-phone")
    page.fill("textarea[name=signature]", "Alice Walker, Support")
    page.uncheck("input[name=notify_sla]")
    page.locator("[data-profile-form] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("textarea[name=signature]")).to_have_value("Alice Walker, Support")
    alice.refresh_from_db()
    assert alice.signature == "Alice Walker, Support" and alice.notify_sla is False
    page.set_viewport_size(DESKTOP)
    session.screenshot(f"workspace-profile-{lang}")

    # the organization page, reached from the ticket's requester box
    ticket_link = page.locator(".ticket-row a.subject").first
    session.go("/agent/?view=open")
    ticket_link.click()
    page.locator("[data-organization-link]").first.click()
    expect(page.locator("[data-organization]")).to_be_visible()
    expect(page.locator("[data-tickets] li")).to_have_count(2)
    session.screenshot(f"workspace-organization-{lang}")
    fits_a_phone(page)
    session.screenshot(f"workspace-organization-{lang}-phone")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_new_request_form_suggests_articles(
    open_session: Any, lang: str, alice: User, dana: User
) -> None:
    title = "Reset your VPN password" if lang == "en" else "Как сбросить пароль VPN"
    article = kb.create_article(
        by=alice, title=title, body=title + ". Open the app.", language=lang, status="published"
    )
    dana.language = lang
    dana.save(update_fields=["language"])
    session = open_session("en-US" if lang == "en" else "ru-RU")
    session.sign_in(dana.email)
    page = session.page
    session.go("/portal/new")
    box = page.locator("[data-suggestions]")
    expect(box).to_be_hidden()
    page.locator("#id_subject").press_sequentially("VPN парол" if lang == "ru" else "vpn password")
    link = box.locator("a").first
    expect(link).to_have_text(title)
    expect(link).to_have_attribute("target", "_blank")
    assert f"/help/articles/{article.pk}/" in (link.get_attribute("href") or "")
    session.screenshot(f"portal-new-request-suggestions-{lang}")
    fits_a_phone(page)
    session.screenshot(f"portal-new-request-suggestions-{lang}-phone")
