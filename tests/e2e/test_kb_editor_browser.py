"""The knowledge-base editor of the admin console in a real browser, in English and
Russian, on a desktop and at a phone's 390 px."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import User
from opora.kb.models import Article
from opora.tickets import actions as tickets

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


def fits_a_phone(page: Page) -> None:
    """At 390 px nothing scrolls sideways."""
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def shoot_console(session: Any, lang: str, article: Article, category_id: int) -> None:
    """Each console screen, on a desktop and a phone; none scrolls sideways on the phone."""
    screens = {
        "articles": "/admin/kb/",
        "editor": f"/admin/kb/articles/{article.pk}/",
        "new-article": "/admin/kb/articles/new",
        "translations": f"/admin/kb/articles/{article.pk}/translations",
        "history": f"/admin/kb/articles/{article.pk}/history?diff=1",
        "categories": "/admin/kb/categories/",
        "category": f"/admin/kb/categories/{category_id}/",
    }
    page = session.page
    for name, path in screens.items():
        page.set_viewport_size(DESKTOP)
        session.go(path)
        session.screenshot(f"console-kb-{name}-{lang}")
        fits_a_phone(page)
        session.screenshot(f"console-kb-{name}-{lang}-phone")
    # on a phone the sections are a menu that opens
    menu = page.locator("[data-console-menu]")
    expect(page.locator(".console-sidebar")).to_be_hidden()
    menu.locator("summary").click()
    expect(menu.locator("a[data-page=categories]")).to_be_visible()
    session.screenshot(f"console-kb-menu-{lang}-phone")
    page.set_viewport_size(DESKTOP)


def test_write_translate_publish_edit_and_restore_an_article(
    open_session: Any, alice: User, lena: User, dana: User, make_ticket: Any
) -> None:
    lena.language = "ru"
    lena.save(update_fields=["language"])
    agent = open_session("en-US")
    agent.sign_in(alice.email)
    page = agent.page

    # Alice opens the console from the main navigation and adds a category
    agent.go("/agent/")
    page.locator("[data-console-nav]").click()
    expect(page).to_have_url(agent.base_url + "/admin/kb/")
    page.locator(".console-sidebar a[data-page=categories]").click()
    form = page.locator("[data-new-category]")
    form.locator("input[name=name_en]").fill("Network")
    form.locator("input[name=name_ru]").fill("Сеть")
    form.locator("input[name=slug]").fill("network")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-category=network]")).to_be_visible()

    # she writes an article and sees the live preview rendered by the server
    page.locator(".console-sidebar a[data-page=articles]").click()
    page.locator("[data-new-article]").click()
    page.fill("input[name=title]", "Reset the router")
    page.select_option("select[name=category]", label="Network")
    page.fill("textarea[name=body]", "Hold **reset** for ten seconds.\n\n<script>alert(1)</script>")
    preview = page.locator("[data-preview]")
    expect(preview.locator("strong")).to_have_text("reset")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text
    assert preview.locator("script").count() == 0
    page.fill("textarea[name=body]", "Hold **reset** for ten seconds.")
    expect(preview).not_to_contain_text("alert")
    page.locator("[data-action=save]").click()
    expect(page).to_have_url(re.compile(r"/admin/kb/articles/\d+/$"))
    expect(page.locator(".console-head [data-status]")).to_have_attribute("data-status", "draft")
    article = Article.objects.get(title="Reset the router")

    # Lena, in Russian, adds the translation side by side and translates it
    lead = open_session("ru-RU")
    lead.sign_in(lena.email)
    lead.go(f"/admin/kb/articles/{article.pk}/translations")
    lead.page.locator("[data-add-translation=ru]").click()
    russian = lead.page.locator("[data-column=ru]")
    expect(russian.locator("textarea[name=body]")).to_have_value("Hold **reset** for ten seconds.")
    expect(lead.page.locator("[data-column=en] input[name=title]")).to_have_value(
        "Reset the router"
    )
    russian.locator("input[name=title]").fill("Перезагрузка роутера")
    russian.locator("textarea[name=body]").fill("Удерживайте **reset** десять секунд.")
    russian.locator("[data-save-column]").click()
    expect(lead.page.locator("[data-column=ru] input[name=title]")).to_have_value(
        "Перезагрузка роутера"
    )
    translated = Article.objects.get(language="ru")
    assert (translated.group, translated.body) == (
        article.group,
        "Удерживайте **reset** десять секунд.",
    )

    # Alice publishes the English article: the help center shows it
    agent.go(f"/admin/kb/articles/{article.pk}/")
    page.locator("[data-action=publish]").click()
    expect(page.locator(".console-head [data-status]")).to_have_text(re.compile("Published"))
    visitor = open_session("en-US")
    visitor.go(f"/help/articles/{article.pk}/")
    expect(visitor.page.locator("body")).to_contain_text("Hold reset for ten seconds.")

    # she edits it, then restores the published text from the history
    page.fill("textarea[name=body]", "Hold reset for thirty seconds, then wait.")
    page.locator("[data-action=save]").click()
    visitor.go(f"/help/articles/{article.pk}/")
    expect(visitor.page.locator("body")).to_contain_text("thirty seconds")
    page.locator("[data-tab=history]").click()
    first_published = article.versions.filter(status="published").order_by("number").first()
    assert first_published is not None
    published_version = first_published.number
    row = page.locator(f"[data-version='{published_version}']")
    row.locator("[data-diff-link]").click()
    expect(page.locator("[data-diff] .add")).to_contain_text("thirty seconds")
    page.locator(f"[data-version='{published_version}'] [data-restore]").click()
    expect(page.locator("[data-versions] tbody tr").first).to_contain_text(
        f"restored v{published_version}"
    )
    visitor.go(f"/help/articles/{article.pk}/")
    expect(visitor.page.locator("body")).to_contain_text("Hold reset for ten seconds.")
    article.refresh_from_db()
    assert article.versions.count() == article.version == published_version + 2

    # a solved ticket becomes an article: the editor opens on the agent's answer
    ticket = make_ticket(dana, subject="Invoice missing", body="Where is my March invoice?")
    tickets.add_message(
        ticket, by=alice, body="Invoices are under Billing → Documents.\n\n-- \nAlice"
    )
    tickets.update_ticket(ticket, tickets.TicketChanges(status="solved"), by=alice)
    agent.go(f"/agent/tickets/{ticket.number}")
    page.locator("[data-to-article]").click()
    expect(page.locator("input[name=title]")).to_have_value("Invoice missing")
    expect(page.locator("textarea[name=body]")).to_have_value(
        "Invoices are under Billing → Documents."
    )
    page.locator("[data-action=publish]").click()
    expect(page.locator(".console-head [data-status]")).to_have_text(re.compile("Published"))
    from_ticket = Article.objects.get(source_ticket=ticket)
    visitor.go(f"/help/articles/{from_ticket.pk}/")
    expect(visitor.page.locator("body")).to_contain_text("Billing → Documents")
    expect(visitor.page.locator("body")).not_to_contain_text("March invoice")

    # every console screen, in English and in Russian, fits a phone
    category_id = article.category_id
    assert category_id is not None
    shoot_console(agent, "en", article, category_id)
    shoot_console(lead, "ru", article, category_id)
    lead.go("/admin/kb/")
    expect(lead.page.locator("h1")).to_have_text("Статьи")

    # and a customer gets the 403 page
    customer = open_session("en-US")
    customer.sign_in(dana.email)
    answer = customer.go("/admin/kb/")
    assert answer.status == 403
    expect(customer.page.locator("[data-forbidden]")).to_be_visible()
    customer.screenshot("console-forbidden-en")
