"""The search synonym vocabulary in the admin console, in a real browser: an admin adds a
group and the help center finds an article by the new wording; edit, delete with a
confirmation, and "Add back the shipped groups"; English and Russian, 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import User
from opora.kb import actions as kb
from opora.search.actions import restore_shipped_groups
from opora.search.models import SynonymGroup

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PAGE = "/admin/kb/synonyms/"


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"
    page.set_viewport_size(DESKTOP)


def test_an_admin_teaches_search_a_customers_wording(
    open_session: Any, ada: User, alice: User
) -> None:
    # browser tests empty the tables between tests: the migration's vocabulary with them
    restore_shipped_groups(by=ada)
    kb.create_article(
        by=alice,
        title="Pickup box opening hours",
        body="The pickup box opens at eight and closes at ten.",
        language="en",
        status="published",
    )
    session = open_session("en-US")
    session.sign_in(ada.email)
    page = session.page

    # the customer's words find nothing useful yet
    session.go("/help/search/?q=parcel+locker")
    expect(page.locator("#results .result a", has_text="Pickup box")).to_have_count(0)

    # the admin adds a group
    session.go(PAGE + "?language=en")
    form = page.locator("[data-new-group]")
    form.locator("textarea[name=phrases]").fill("parcel locker\npickup box")
    form.locator("select[name=language]").select_option("en")
    form.locator("button[type=submit]").click()
    group = SynonymGroup.objects.get(phrases=["parcel locker", "pickup box"])
    row = page.locator(f"[data-group='{group.pk}']")
    expect(row).to_contain_text("parcel locker")
    session.screenshot("console-kb-synonyms-en")
    fits_a_phone(page)

    # and the help center finds the article by the customer's words
    session.go("/help/search/?q=parcel+locker")
    expect(page.locator("#results .result a").first).to_have_text("Pickup box opening hours")

    # a group of one phrase is refused beside its field, nothing saved
    session.go(PAGE)
    form = page.locator("[data-new-group]")
    form.locator("textarea[name=phrases]").fill("only one")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-new-group]")).to_contain_text("at least two phrases")
    assert not any("only one" in g.phrases for g in SynonymGroup.objects.all())

    # edit in place
    session.go(PAGE + "?language=en")
    page.locator(f"[data-group='{group.pk}'] [data-edit]").click()
    edit = page.locator("[data-edit-group]")
    edit.locator("textarea[name=phrases]").fill("parcel locker\npickup box\nlocker")
    edit.locator("button[type=submit]").click()
    expect(page.locator(f"[data-group='{group.pk}']")).to_contain_text("locker")

    # delete asks first
    session.go(PAGE + "?language=en")
    row = page.locator(f"[data-group='{group.pk}']")
    row.locator("[data-delete]").click()
    row.locator("[data-confirm-delete]").click()
    expect(page.locator(f"[data-group='{group.pk}']")).to_have_count(0)

    # a shipped group deleted by mistake comes back with one button
    shipped = SynonymGroup.objects.filter(language="en").order_by("id").first()
    assert shipped is not None
    session.go(PAGE + "?language=en")
    page.locator(f"[data-group='{shipped.pk}'] [data-delete]").click()
    page.locator(f"[data-group='{shipped.pk}'] [data-confirm-delete]").click()
    page.locator("[data-restore] button").click()
    expect(page.locator("body")).to_contain_text("1 shipped group was added back.")
    assert SynonymGroup.objects.filter(language="en", phrases=shipped.phrases).exists()


def test_the_synonyms_page_in_russian(open_session: Any, ada: User) -> None:
    restore_shipped_groups(by=ada)
    ada.language = "ru"
    ada.save(update_fields=["language"])
    session = open_session("ru-RU")
    session.sign_in(ada.email)
    session.go(PAGE + "?language=ru")
    page = session.page
    expect(page.locator("h1")).to_have_text("Синонимы поиска")
    expect(page.locator("[data-synonyms]")).to_contain_text("платёж не зачислен")
    expect(page.locator("[data-restore] button")).to_have_text("Вернуть группы из поставки")
    session.screenshot("console-kb-synonyms-ru")
    fits_a_phone(page)
    page.set_viewport_size(PHONE)
    session.screenshot("console-kb-synonyms-ru-phone")
