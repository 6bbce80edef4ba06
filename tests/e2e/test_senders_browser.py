"""DKIM signing on the console's mailbox page, the unsubscribe page of the portal's
notices, and the undeliverable flag on the customer card, in a real browser, in
English and Russian, at a phone's 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import User
from opora.inbox.email.models import Mailbox
from opora.inbox.email.outbound import unsubscribe_url

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


@pytest.mark.parametrize(
    ("locale", "generate", "record"),
    [("en-US", "Generate DKIM key", "TXT value"), ("ru-RU", "Создать ключ DKIM", "Значение TXT")],
)
def test_an_admin_generates_a_dkim_key_and_copies_the_record(
    open_session: Any, ada: User, support: Any, locale: str, generate: str, record: str
) -> None:
    box = Mailbox.objects.create(address="support@desk.test", team=support)
    # A signed-in person's own language wins over the browser's.
    ada.language = locale[:2]
    ada.save(update_fields=["language"])
    session = open_session(locale)
    session.sign_in(ada.email)
    session.go(f"/admin/channels/mailboxes/{box.pk}/")
    page = session.page
    page.get_by_role("button", name=generate).click()
    page.wait_for_load_state()
    expect(page.locator("[data-dkim-name]")).to_have_value("opora._domainkey.desk.test")
    expect(page.get_by_text(record)).to_be_visible()
    box.refresh_from_db()
    expect(page.locator("[data-dkim-value]")).to_have_value(box.dkim_dns_value)
    fits_a_phone(page)


@pytest.mark.parametrize(
    ("locale", "button", "done"),
    [("en-US", "Unsubscribe", "no longer get"), ("ru-RU", "Отписаться", "больше не будете")],
)
def test_a_customer_turns_notices_off_from_the_mail_link(
    open_session: Any, dana: User, locale: str, button: str, done: str
) -> None:
    session = open_session(locale)
    url = unsubscribe_url(dana.pk)
    session.go(url[url.index("/notices/") :])
    page = session.page
    fits_a_phone(page)
    page.get_by_role("button", name=button).click()
    expect(page.locator("[data-unsubscribe=done]")).to_contain_text(done)
    dana.refresh_from_db()
    assert dana.notify_by_email is False


def test_the_customer_card_shows_a_bounced_address(
    open_session: Any, alice: User, dana: User
) -> None:
    from opora.accounts.actions import mark_undeliverable

    mark_undeliverable([dana.email], reason="bounce")
    session = open_session()
    session.sign_in(alice.email)
    session.go(f"/agent/customers/{dana.pk}")
    expect(session.page.locator("[data-undeliverable]")).to_contain_text("bounced")
    fits_a_phone(session.page)
