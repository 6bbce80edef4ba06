"""Complaints in a real browser: the ticket page's complaint card (confidence, deadline,
solving refused without a root cause, then solved with one), the console's settings
and report; en and ru, desktop and 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from opora.accounts.models import User
from opora.complaints.actions import restore_default_root_causes
from opora.complaints.models import Complaint
from opora.tickets import actions
from opora.tickets.models import Ticket

pytestmark = pytest.mark.e2e

TEXTS = {
    "en": {
        "body": "I am not happy at all: the courier never came. I want to file a complaint.",
        "cause": "Delivery",
        "solve": "Solve the complaint",
        "refusal": "root cause",
        "saved": "Saved.",
        "settings": "Complaint settings",
        "report": "Complaints report",
    },
    "ru": {
        "body": "Я крайне недоволен: курьер так и не приехал. Буду жаловаться.",
        "cause": "Доставка",
        "solve": "Решить жалобу",
        "refusal": "первопричин",
        "saved": "Сохранено.",
        "settings": "Настройки жалоб",
        "report": "Отчёт по жалобам",
    },
}


def _fits_phone(session: Any, name: str) -> None:
    page = session.page
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    session.screenshot(name)
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.mark.parametrize(("locale", "language"), [("en-US", "en"), ("ru-RU", "ru")])
def test_a_lead_solves_a_complaint_with_its_root_cause(
    open_session: Any, lena: User, dana: User, support: Any, locale: str, language: str
) -> None:
    restore_default_root_causes()
    texts = TEXTS[language]
    lena.language = language
    lena.save(update_fields=["language"])
    ticket = actions.create_ticket(
        requester=dana, subject="Courier", body=texts["body"], by=dana, language=language
    )
    assert Complaint.objects.filter(ticket=ticket).exists()  # taken in after commit
    session = open_session(locale)
    session.sign_in(lena.email)
    page = session.page
    session.go(f"/agent/tickets/{ticket.number}")
    card = page.locator("[data-complaint-card]")
    expect(card).to_have_attribute("data-is-complaint", "true")
    expect(card.locator("[data-complaint-due]")).to_be_visible()
    session.screenshot(f"complaint-card-{language}")
    _fits_phone(session, f"complaint-card-{language}-phone")
    # Solving through the Properties form is refused, nothing changes.
    page.locator("form[data-panel] select[name=status]").select_option("solved")
    page.locator("form[data-panel] button[type=submit]").last.click()
    expect(page.locator("[data-error-for=status]")).to_contain_text(texts["refusal"])
    assert Ticket.objects.get(pk=ticket.pk).status != "solved"
    # The card's form solves it with the root cause and verdict.
    form = page.locator("[data-complaint-form]")
    form.locator("select[name=root_cause]").select_option(label=texts["cause"])
    form.locator("input[name=justified][value=yes]").check()
    form.get_by_role("button", name=texts["solve"]).click()
    expect(page.locator("[data-complaint-root-cause]")).to_have_text(texts["cause"])
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    session.screenshot(f"complaint-solved-{language}")


@pytest.mark.parametrize(("locale", "language"), [("en-US", "en"), ("ru-RU", "ru")])
def test_an_admin_sets_the_rules_and_reads_the_report(
    open_session: Any, ada: User, dana: User, lena: User, locale: str, language: str
) -> None:
    restore_default_root_causes()
    texts = TEXTS[language]
    ada.language = language
    ada.save(update_fields=["language"])
    actions.create_ticket(
        requester=dana, subject="Courier", body=TEXTS["en"]["body"], by=dana, language="en"
    )
    session = open_session(locale)
    session.sign_in(ada.email)
    page = session.page
    session.go("/admin/complaints/settings")
    expect(page.get_by_role("heading", name=texts["settings"])).to_be_visible()
    form = page.locator("[data-complaint-settings]")
    form.locator("input[name=deadline_days]").fill("7")
    form.locator("button[type=submit]").click()
    expect(page.get_by_text(texts["saved"])).to_be_visible()
    expect(form.locator("input[name=deadline_days]")).to_have_value("7")
    session.screenshot(f"complaint-settings-{language}")
    _fits_phone(session, f"complaint-settings-{language}-phone")
    session.go("/admin/complaints/")
    expect(page.get_by_role("heading", name=texts["report"])).to_be_visible()
    expect(page.locator("[data-figure=opened] b")).to_have_text("1")
    session.screenshot(f"complaint-report-{language}")
    _fits_phone(session, f"complaint-report-{language}-phone")
