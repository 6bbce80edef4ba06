"""The KPI dashboard in a real browser (headless Debian chromium), with a screenshot."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from opora.accounts.models import User
from opora.tickets import actions

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture
def page(browser, live_server, lena):
    # The session-wide browser of tests/e2e/conftest.py, signed in as Lena (team lead).
    client = Client()
    client.force_login(lena)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    yield context.new_page()
    context.close()


def test_the_dashboard_shows_kpis_charts_filters_and_csv(
    page, live_server, make_ticket, dana, alice
):
    # given three tickets this month: two solved (one urgent), one open
    User.objects.filter(pk=alice.pk).update(cost_per_hour=Decimal("1200"))
    alice.refresh_from_db()
    for priority in ("urgent", "normal"):
        ticket = make_ticket(dana, by=alice, priority=priority)
        actions.add_message(ticket, by=alice, body="Done.")
        actions.log_time(ticket, by=alice, minutes=30)
        actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    make_ticket(dana, by=alice, priority="high")
    # when the lead opens the dashboard
    page.goto(f"{live_server.url}/reports/")
    # then the cards show the numbers and the charts are drawn
    assert page.locator("[data-kpi=nst] .v").inner_text() == "3"
    assert page.locator("[data-kpi=fcr] .v").inner_text().startswith("100")
    assert page.locator("[data-kpi=cost] .v").inner_text() == "1200.00"
    assert page.locator("#trend polyline.series").count() == 2
    assert page.locator("#by-priority rect.bar").count() == 4
    assert page.locator("#by-line rect.bar").count() == 4
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports-dashboard.png"), full_page=True)
    # when she filters on urgent tickets
    page.select_option("select[name=priority]", "urgent")
    page.click("button[type=submit]")
    page.wait_for_url("**priority=urgent**")
    assert page.locator("[data-kpi=nst] .v").inner_text() == "1"
    # then the CSV link exports the same slice
    with page.expect_download() as download:
        page.click("a.csv")
    text = Path(download.value.path()).read_text()
    assert "nst,,1" in text
    assert "solved_by_priority,urgent,1" in text
