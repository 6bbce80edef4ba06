"""The console's Monitoring section in a real browser: an admin adds an HTTP monitor
(the form shows the fields of the chosen kind and the errors beside them), sees it up,
then down with its incident's problem ticket, and the charts. English and Russian, on a
desktop and at a phone's 390 px."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import expect

from opora.accounts.models import Team, User
from opora.monitoring import rollups
from opora.monitoring.models import Monitor
from tests.monitoring import conftest as monitoring
from tests.monitoring.servers import HttpServer

pytestmark = pytest.mark.e2e


def check(monitor: Monitor, times: int = 1) -> None:
    """The checks in a thread of their own: Playwright's loop runs in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(monitoring.check, monitor, times).result()
    monitor.refresh_from_db()


@pytest.fixture(autouse=True)
def _private_ranges_allowed(settings: Any) -> None:
    settings.MONITORING_ALLOW_PRIVATE = True


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_an_admin_sets_up_a_monitor_and_sees_its_incident(
    open_session: Any, ada: User, support: Team, locale: str
) -> None:
    site = HttpServer()
    lang = locale[:2]
    try:
        session = open_session(locale)
        session.sign_in(ada.email)
        page = session.page
        session.go("/admin/monitoring/")
        page.locator("[data-new-monitor]").click()
        form = page.locator("[data-monitor-form]")
        # The kind decides which fields show.
        form.locator("select[name=kind]").select_option("dns")
        expect(form.locator("[data-field=keyword]")).to_be_hidden()
        expect(form.locator("[data-field=dns_expected]")).to_be_visible()
        form.locator("select[name=kind]").select_option("http")
        expect(form.locator("[data-field=keyword]")).to_be_visible()
        form.locator("input[name=name]").fill("Shop")
        form.locator("input[name=target]").fill("ftp://shop.test")
        form.locator("select[name=team]").select_option(str(support.pk))
        form.locator("input[name=keyword]").fill("operational")
        form.locator("button[type=submit]").click()
        error = form.locator("[data-field=target] .errorlist")
        expect(error).to_be_visible()
        session.screenshot(f"monitoring-form-error-{lang}")
        form.locator("input[name=target]").fill(site.url + "/")
        form.locator("input[name=down_after]").fill("1")
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-monitor-state]")).to_be_visible()

        monitor = Monitor.objects.get()
        check(monitor, 3)
        site.set(status=503)
        check(monitor)
        rollups.roll_up()
        page.reload()
        expect(page.locator("[data-monitor-state=down]")).to_be_visible()
        expect(page.locator("[data-incident-ticket]")).to_be_visible()
        expect(page.locator("[data-chart=ms] svg")).to_be_visible()
        session.screenshot(f"monitoring-monitor-{lang}")
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the monitor page is {width} px wide at 390 px"
        session.screenshot(f"monitoring-monitor-390-{lang}")

        session.go("/admin/monitoring/")
        expect(page.locator("[data-monitor=Shop][data-state=down]")).to_be_visible()
        expect(page.locator("[data-open-incidents]")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the list is {width} px wide at 390 px"
        session.screenshot(f"monitoring-list-390-{lang}")
        page.locator("[data-open-incidents] [data-incident-ticket]").first.click()
        page.wait_for_url("**/agent/tickets/*")
    finally:
        site.stop()
