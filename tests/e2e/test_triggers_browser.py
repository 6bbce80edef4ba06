"""A trigger made in the console, in a real browser: the admin writes "ticket created,
subject contains a word → priority high, add a tag" with the editor's rows; a request
with that word arrives through the API; the ticket shows the priority, the tag and
"by trigger …" in its history. English and Russian, and the editor at a phone's 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import User
from opora.automation.automations import save_automation
from opora.automation.models import Trigger
from opora.automation.webhooks import save_webhook
from opora.core.tasks import run_queued_tasks
from opora.tickets.models import Priority, Ticket
from tests.conftest import Api

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def run_jobs() -> None:
    """The worker's part: trigger jobs (and any they queue)."""
    for _ in range(5):
        if not run_queued_tasks():
            break


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("ru-RU", "ru")])
def test_an_admin_makes_a_trigger_and_a_new_ticket_gets_its_changes(
    open_session: Any, ada: User, dana: User, locale: str, lang: str
) -> None:
    ada.language = lang
    ada.save(update_fields=["language"])
    admin = open_session(locale)
    admin.sign_in(ada.email)
    page = admin.page
    admin.go("/admin/automation/")
    expect(page.locator(".console-sidebar [data-section='automation']")).to_be_visible()
    page.locator("[data-new-trigger]").click()

    form = page.locator("[data-trigger-form]")
    form.locator("input[name=name]").fill("Printer triage")
    form.locator("select[name=event]").select_option("created")
    # The new trigger starts with one condition row (subject contains …) and one action.
    condition = form.locator("[data-row='condition']").first
    expect(condition.locator("[data-field]")).to_have_value("subject")
    condition.locator("[data-operator]").select_option("contains")
    condition.locator("[data-value] input").fill("printer")

    first = form.locator("[data-row='action']").first
    first.locator("[data-type]").select_option("priority")
    first.locator("[data-value] select").select_option("high")
    form.locator("[data-add-row='action']").click()
    second = form.locator("[data-row='action']").nth(1)
    expect(second.locator("[data-type]")).to_be_focused()
    second.locator("[data-type]").select_option("add_tags")
    second.locator("[data-value] input").fill("printer")
    # A row added and removed again leaves nothing behind.
    form.locator("[data-add-row='condition']").click()
    form.locator("[data-row='condition']").nth(1).locator("[data-remove-row]").click()
    expect(form.locator("[data-row='condition']")).to_have_count(1)
    admin.screenshot(f"console-trigger-editor-{lang}")
    form.locator("[data-save]").click()

    row = page.locator("[data-trigger='Printer triage']")
    expect(row).to_be_visible()
    expect(row.locator("[data-toggle]")).to_have_attribute("aria-checked", "true")
    admin.screenshot(f"console-triggers-{lang}")
    trigger = Trigger.objects.get()
    assert trigger.conditions == [{"field": "subject", "operator": "contains", "value": "printer"}]
    assert trigger.actions == [
        {"type": "priority", "value": "high"},
        {"type": "add_tags", "value": ["printer"]},
    ]

    # A customer's request with the word arrives through the API.
    created = Api(dana).post(
        "/tickets", {"subject": "The Printer is jammed", "body": "Paper stuck again."}
    )
    assert created.status_code == 201, created.content
    run_jobs()
    ticket = Ticket.objects.get(number=created.json()["number"])
    assert ticket.priority == Priority.HIGH
    assert set(ticket.tags.values_list("name", flat=True)) == {"printer"}

    admin.go(f"/agent/tickets/{ticket.number}")
    panel = page.locator("[data-panel]")
    expect(panel.locator("select[name=priority]")).to_have_value("high")
    expect(panel.locator("input[name=tags]")).to_have_value("printer")
    page.locator("details.history summary").click()
    by = "триггером «Printer triage»" if lang == "ru" else "by trigger “Printer triage”"
    expect(page.locator("details.history [data-via]").first).to_have_text(by)
    admin.screenshot(f"console-trigger-ticket-{lang}")

    # The firing log lists it; the editor fits a phone.
    admin.go(f"/admin/automation/triggers/{trigger.pk}/runs")
    expect(page.locator("[data-run]")).to_have_count(1)
    admin.go(f"/admin/automation/triggers/{trigger.pk}/")
    expect(page.locator("[data-row='action']")).to_have_count(2)
    fits_a_phone(page)
    admin.screenshot(f"console-trigger-editor-{lang}-phone")
    admin.go("/admin/automation/")
    fits_a_phone(page)
    admin.screenshot(f"console-triggers-{lang}-phone")
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize(("locale", "lang"), [("en-US", "en"), ("ru-RU", "ru")])
def test_time_rules_and_webhooks_fit_a_phone(
    open_session: Any, ada: User, locale: str, lang: str
) -> None:
    rule = save_automation(
        by=ada,
        name="Nudge the customer",
        status="pending",
        hours=48,
        business_hours=True,
        action="remind",
        message="Any news on #{{ ticket.number }}?",
    )
    ada.language = lang
    ada.save(update_fields=["language"])
    hook = save_webhook(
        by=ada, name="CRM", url="http://127.0.0.1:9/unreachable", events=["created", "solved"]
    )
    admin = open_session(locale)
    admin.sign_in(ada.email)
    page = admin.page
    # "Send test" to an address nobody listens on: the failure and its reason are shown.
    admin.go("/admin/automation/webhooks/")
    page.locator("[data-webhook='CRM'] [data-test]").click()
    expect(page.locator("[data-delivery] [data-state='failed']")).to_be_visible()
    expect(page.locator("[data-delivery] [data-again]")).to_be_visible()
    screens = {
        "rules": "/admin/automation/rules/",
        "rule": f"/admin/automation/rules/{rule.pk}/",
        "webhooks": "/admin/automation/webhooks/",
        "webhook": f"/admin/automation/webhooks/{hook.pk}/",
        "deliveries": f"/admin/automation/webhooks/{hook.pk}/deliveries",
    }
    for name, path in screens.items():
        page.set_viewport_size(DESKTOP)
        admin.go(path)
        admin.screenshot(f"console-automation-{name}-{lang}")
        fits_a_phone(page)
        admin.screenshot(f"console-automation-{name}-{lang}-phone")
    page.set_viewport_size(DESKTOP)
