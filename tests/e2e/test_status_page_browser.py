"""The public status page in a real browser: grouped components with their 90-day
bars, an incident with its public update, planned maintenance; English and Russian
(by the browser's language and by the switch), on a desktop and at 390 px, with no
Content-Security-Policy complaint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opora.accounts.models import User
from opora.monitoring import actions, status
from opora.monitoring.models import Incident, IncidentUpdate, Monitor, Period, Rollup, Source

pytestmark = pytest.mark.e2e


def _status_page_data(ada: User) -> None:
    now = timezone.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    shop = Monitor.objects.create(
        name="shop-1",
        kind="http",
        target="https://shop.test/",
        public=True,
        public_name="Online shop",
        public_group="Website",
        state="up",
    )
    api = Monitor.objects.create(
        name="api-1",
        kind="http",
        target="https://api.test/",
        public=True,
        public_name="Public API",
        public_group="Website",
        state="down",
    )
    Monitor.objects.create(
        name="mail",
        kind="tcp",
        target="mail.test:25",
        public=True,
        public_name="E-mail",
        public_group="Messaging",
        state="up",
    )
    for monitor, bad_day in ((shop, 5), (api, 0)):
        for day in range(60):
            ok = 900 if day == bad_day else 1000
            Rollup.objects.create(
                monitor=monitor,
                period=Period.DAY,
                start=today - timedelta(days=day),
                checks=1000,
                ok=ok,
            )
    incident = Incident.objects.create(
        key=actions.monitor_key(api.pk),
        source=Source.MONITOR,
        monitor=api,
        title="api-1 is down",
        started_at=now - timedelta(minutes=20),
        detected_at=now - timedelta(minutes=18),
    )
    IncidentUpdate.objects.create(
        incident=incident,
        status="identified",
        author=ada,
        body="The API answers slowly; we are moving it to a spare server.",
    )
    actions.create_window(
        by=ada,
        monitor=shop,
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=2),
        note="Database upgrade",
    )
    status.rebuild()


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_customers_see_the_status_page_in_their_language(
    open_session: Any, ada: User, locale: str
) -> None:
    _status_page_data(ada)
    lang = locale[:2]
    session = open_session(locale)
    page = session.page
    complaints: list[str] = []
    page.on(
        "console", lambda m: complaints.append(m.text) if "Content Security" in m.text else None
    )
    session.go("/status/")
    expect(page.locator("[data-overall=down]")).to_be_visible()
    expect(page.locator("[data-component]")).to_have_count(3)
    expect(page.locator("[data-group]")).to_have_count(2)
    expect(page.locator("[data-open-incidents] [data-update]")).to_contain_text("spare server")
    expect(page.locator("[data-maintenance]")).to_contain_text("Database upgrade")
    title = {"en": "Service status", "ru": "Состояние сервисов"}[lang]
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("[data-open-incidents]")).to_contain_text(
        {"en": "Public API is unavailable", "ru": "Public API недоступен"}[lang]
    )
    session.screenshot(f"status-page-{lang}")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the status page is {width} px wide at 390 px"
    session.screenshot(f"status-page-390-{lang}")
    # The switch: the other language, and it sticks.
    other = "ru" if lang == "en" else "en"
    page.locator(f"[data-lang={other}]").click()
    expect(page.locator("html")).to_have_attribute("lang", other)
    session.go("/status/")
    expect(page.locator("html")).to_have_attribute("lang", other)
    assert complaints == []
