"""The KPI dashboard in a real browser (headless Debian chromium), in English and
Russian: tiles that explain themselves, the drill-down from a tile to its tickets and on
to a ticket, the XLSX export, and the page at 390 px; screenshots go to pytest's tmp dir."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from opora.accounts.models import User
from opora.tickets import actions

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "en": {"nst": "New tickets (NST)", "list": "Tickets created in the period (NST)"},
    "ru": {"nst": "Новые заявки (NST)", "list": "Заявки, созданные за период (NST)"},
}


@pytest.fixture
def signed_in(browser, live_server, lena):
    """A browser window signed in as Lena (team lead) speaking `language`."""
    contexts = []

    def open_as(language: str):
        User.objects.filter(pk=lena.pk).update(language=language)
        client = Client()
        client.force_login(lena)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context = browser.new_context(
            viewport={"width": 1280, "height": 1000}, locale=f"{language}-{language.upper()}"
        )
        context.set_default_timeout(15_000)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        contexts.append(context)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def three_tickets(make_ticket, dana, alice):
    """This month: two solved (30 min logged each at 1,200 an hour), one open."""
    User.objects.filter(pk=alice.pk).update(cost_per_hour=Decimal("1200"))
    alice.refresh_from_db()
    made = []
    for priority in ("urgent", "normal"):
        ticket = make_ticket(dana, by=alice, priority=priority, subject=f"Printer {priority}")
        actions.add_message(ticket, by=alice, body="Done.")
        actions.log_time(ticket, by=alice, minutes=30)
        actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
        made.append(ticket)
    made.append(make_ticket(dana, by=alice, priority="high", subject="Scanner"))
    return made


@pytest.mark.parametrize("language", ["en", "ru"])
def test_dashboard_tile_to_ticket_list_to_ticket(
    signed_in, live_server, three_tickets, tmp_path: Path, language
):
    texts = TEXTS[language]
    page = signed_in(language)
    page.goto(f"{live_server.url}/reports/")
    # the tiles name each KPI in words and explain it on focus
    name = page.locator("[data-kpi=nst] h2")
    assert name.inner_text() == texts["nst"]
    tooltip = page.locator("#def-nst")
    assert not tooltip.is_visible()
    name.focus()
    assert tooltip.is_visible()
    assert page.locator("[data-kpi=nst] .v").inner_text() == "3"
    cost = page.locator("[data-kpi=cost] .v").inner_text()
    assert cost == ("1,200.00" if language == "en" else "1\u202f200,00")
    assert page.locator("#trend polyline.series").count() == 2
    assert page.locator("#by-channel rect.bar").count() >= 1
    assert page.locator("#by-agent rect.bar").count() >= 1
    page.screenshot(path=str(tmp_path / f"dashboard-{language}.png"), full_page=True)

    # a click on the number lists the tickets behind it
    page.click("[data-kpi=nst] .v a")
    page.wait_for_url("**/reports/tickets?kpi=nst**")
    assert page.locator("h1").inner_text() == texts["list"]
    assert page.locator("li[data-ticket]").count() == 3
    page.screenshot(path=str(tmp_path / f"drill-down-{language}.png"), full_page=True)

    # and a ticket of the list opens in the workspace
    first = page.locator("li[data-ticket] a").first
    number = first.locator("xpath=..").locator("xpath=..").get_attribute("data-ticket")
    first.click()
    page.wait_for_url(f"**/agent/tickets/{number}")
    page.screenshot(path=str(tmp_path / f"ticket-{language}.png"), full_page=True)
    assert (tmp_path / f"ticket-{language}.png").stat().st_size > 0


def test_dashboard_fits_a_phone_and_exports_xlsx(signed_in, live_server, three_tickets, tmp_path):
    page = signed_in("ru")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/reports/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(tmp_path / "dashboard-390.png"), full_page=True)
    # the solved tile's tickets, filtered to urgent ones
    page.select_option("select[name=priority]", "urgent")
    page.click("form.rep-filters button[type=submit]")
    page.wait_for_url("**priority=urgent**")
    assert page.locator("[data-kpi=nst] .v").inner_text() == "1"
    with page.expect_download() as download:
        page.click("a.xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    values = {(r[0], r[1] or ""): r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[("nst", "")] == 1
    assert values[("solved_by_priority", "urgent")] == 1


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_ticket_field_slices_the_dashboard_and_its_drill_down(
    signed_in, live_server, three_tickets, ada, lena, tmp_path: Path, language
):
    """The lead picks a ticket field and one of its values: the tiles count only those
    tickets, and the drill-down lists exactly them."""
    from opora.crm import actions as crm

    crm.create_field(
        by=ada, target="ticket", key="product", label_en="Product", label_ru="Продукт",
        kind="choice",
        options=[
            {"value": "printer", "en": "Printer", "ru": "Принтер"},
            {"value": "scanner", "en": "Scanner", "ru": "Сканер"},
        ],
    )  # fmt: skip
    urgent, normal, scanner = three_tickets
    crm.set_ticket_fields(urgent, {"product": "printer"}, by=lena)
    crm.set_ticket_fields(normal, {"product": "printer"}, by=lena)
    crm.set_ticket_fields(scanner, {"product": "scanner"}, by=lena)
    page = signed_in(language)
    page.goto(f"{live_server.url}/reports/")
    assert page.locator("[data-kpi=nst] .v").inner_text() == "3"
    label = {"en": "Product", "ru": "Продукт"}[language]
    assert page.locator("select[name=field_key] option", has_text=label).count() == 1
    page.select_option("select[name=field_key]", "product")
    page.fill("input[name=field_value]", "printer")
    page.click("form.rep-filters button[type=submit]")
    page.wait_for_url("**field_key=product**")
    assert page.locator("[data-kpi=nst] .v").inner_text() == "2"
    assert page.locator("input[name=field_value]").input_value() == "printer"
    page.screenshot(path=str(tmp_path / f"dashboard-field-{language}.png"), full_page=True)
    page.click("[data-kpi=nst] .v a")
    page.wait_for_url("**/reports/tickets?kpi=nst**")
    listed = {int(n) for n in page.locator("li[data-ticket]").evaluate_all(
        "rows => rows.map(r => r.dataset.ticket)")}  # fmt: skip
    assert listed == {urgent.number, normal.number}
    # Another value: only the scanner ticket.
    page.goto(f"{live_server.url}/reports/?field_key=product&field_value=scanner")
    assert page.locator("[data-kpi=nst] .v").inner_text() == "1"
