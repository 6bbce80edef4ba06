"""The console's Service section in a real browser: an administrator sets up a calendar
and an SLA policy, and the agent's ticket page counts down to the new target; every
screen in English and Russian, on a desktop and at a phone's 390 px."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import User
from opora.core.tasks import run_queued_tasks
from opora.sla.models import BusinessCalendar, SlaPolicy

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def shoot(session: Any, lang: str, calendar: BusinessCalendar, policy: SlaPolicy) -> None:
    screens = {
        "calendars": "/admin/service/",
        "calendar": f"/admin/service/calendars/{calendar.pk}/",
        "new-calendar": "/admin/service/calendars/new",
        "policies": "/admin/service/policies/",
        "policy": f"/admin/service/policies/{policy.pk}/",
        "rules": "/admin/service/rules/",
        "new-rule": "/admin/service/rules/new",
        "lines": "/admin/service/lines",
    }
    page = session.page
    for name, path in screens.items():
        page.set_viewport_size(DESKTOP)
        session.go(path)
        session.screenshot(f"console-service-{name}-{lang}")
        fits_a_phone(page)
        session.screenshot(f"console-service-{name}-{lang}-phone")
    page.set_viewport_size(DESKTOP)


def test_a_calendar_and_a_policy_set_the_countdown_on_the_ticket_page(
    open_session: Any, ada: User, alice: User, dana: User, make_ticket: Any
) -> None:
    ticket = make_ticket(dana)  # no policy yet: no due dates
    assert ticket.first_response_due_at is None
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page

    # a calendar with a split Monday, a closed weekend, and a holiday added by keyboard
    admin.go("/admin/service/")
    page.locator("[data-new-calendar]").click()
    page.fill("input[name=name]", "Round the clock")
    page.select_option("select[name=time_zone]", "Europe/Moscow")
    monday = page.locator("[data-day='1']")
    monday.locator("[data-add-span]").focus()
    page.keyboard.press("Enter")
    spans = monday.locator("[data-span] input[name=start-1]")
    expect(spans).to_have_count(2)
    monday.locator("input[name=end-1]").first.fill("13:00")
    spans.nth(1).fill("12:00")
    monday.locator("input[name=end-1]").nth(1).fill("18:00")
    page.locator("[data-add-day]").click()
    page.locator("[data-day-row] input[name=day-date]").last.fill("2026-06-12")
    page.locator("[data-save]").click()
    # the overlap is refused beside Monday
    expect(monday.locator("[data-day-errors]")).to_contain_text("overlap")
    spans.nth(1).fill("14:00")
    page.check("input[name=always_open]")
    page.locator("[data-save]").click()
    expect(page).to_have_url(re.compile(r"/admin/service/calendars/\d+/$"))
    expect(page.locator("[data-preview] li")).to_have_count(7)
    # the Russian production calendar fills the dates
    page.locator("[data-load-ru] button").click()
    expect(page.locator("[data-day-row] input[name=day-date][value='2026-01-07']")).to_have_count(1)
    calendar = BusinessCalendar.objects.get(name="Round the clock")

    # a policy: first response in 2 h 30 min on that calendar
    page.locator(".console-sidebar a[data-page=policies]").click()
    page.locator("[data-new-policy]").click()
    page.fill("input[name=name]", "Everyone")
    page.select_option("select[name=calendar]", label="Round the clock")
    page.fill("input[name=first_response_hours]", "2")
    page.fill("input[name=first_response_mins]", "30")
    page.locator("[data-save]").click()
    expect(page.locator("[data-policy=Everyone]")).to_be_visible()
    policy = SlaPolicy.objects.get(name="Everyone")
    assert policy.first_response_minutes == 150

    # the re-clock job gives the open ticket its new due date
    assert run_queued_tasks() >= 1
    agent = open_session("en-US")
    agent.sign_in(alice.email)
    agent.go(f"/agent/tickets/{ticket.number}")
    countdown = agent.page.locator("[data-countdown]").first
    expect(countdown).to_be_visible()
    due = datetime.fromisoformat(countdown.get_attribute("data-countdown") or "")
    expected = ticket.created_at + timedelta(minutes=150)
    assert abs((due - expected).total_seconds()) < 60
    assert due > timezone.now()
    expect(countdown).to_have_text(re.compile(r"^\s*02:(29|30):\d\d\s*$"))

    shoot(admin, "en", calendar, policy)
    ada.language = "ru"
    ada.save(update_fields=["language"])
    russian = open_session("ru-RU")
    russian.sign_in(ada.email)
    russian.go("/admin/service/")
    expect(russian.page.locator("h1")).to_have_text("Рабочие часы")
    shoot(russian, "ru", calendar, policy)
