"""The API tokens page in a real browser: an agent makes a token on a phone-sized page
in Russian, copies it (shown once), and revokes it after confirming."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts import tokens
from opora.accounts.models import ApiToken

pytestmark = pytest.mark.e2e


def _widest_right_edge(page: Page) -> int:
    return int(
        page.evaluate(
            "Math.max(document.documentElement.scrollWidth, ...Array.from("
            "document.querySelectorAll('main, main *'))"
            ".map(e => e.getBoundingClientRect().right))"
        )
    )


def test_an_agent_makes_a_token_sees_it_once_and_revokes_it(open_session, alice):
    # given Alice, who reads Russian, on a phone
    alice.language = "ru"
    alice.save(update_fields=["language"])
    phone = open_session("ru-RU")
    page = phone.page
    page.set_viewport_size({"width": 390, "height": 844})
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    phone.sign_in(alice.email)

    # when she opens API tokens from her profile
    phone.go("/agent/")
    page.get_by_role("link", name="Профиль").click()
    page.locator("[data-tokens-nav]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("API-токены")
    expect(page.locator("[data-no-tokens]")).to_be_visible()
    assert _widest_right_edge(page) <= 390

    # and makes a token for an integration that posts replies, for 90 days
    form = page.locator("[data-token-form]")
    form.locator("input[name=name]").fill("Jira")
    form.locator("[data-scope-choice=tickets]").check()
    form.locator("select[name=expires]").select_option("90")
    form.locator("[data-create-token]").click()
    page.wait_for_load_state()

    # then the token is shown once, with a warning and a copy button that works
    shown = page.locator("[data-raw-token]").inner_text().strip()
    assert shown.startswith("opora_")
    expect(page.locator("[data-new-token] [role=alert]")).to_contain_text("только один раз")
    page.locator("[data-copy-token]").click()
    expect(page.locator("[data-copied]")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == shown
    token = ApiToken.objects.get(user=alice)
    assert token.scopes == "tickets"
    assert tokens.authenticate(shown, needs="tickets") == alice
    assert _widest_right_edge(page) <= 390
    phone.screenshot("api-tokens-ru")

    # and never again
    phone.go("/agent/profile/tokens")
    assert shown not in page.content()
    row = page.locator(f"[data-token='{token.pk}']")
    expect(row).to_contain_text("Jira")
    expect(row.locator("[data-scope]")).to_have_text("tickets")

    # when she revokes it, confirming first
    row.locator("[data-revoke] summary").click()
    row.locator("[data-revoke-confirm]").click()
    page.wait_for_load_state()

    # then it is listed as revoked and no longer works
    expect(page.locator(f"[data-token='{token.pk}']")).to_have_attribute("data-state", "revoked")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert tokens.authenticate(shown, needs="read") is None
