"""Reports sliced by a ticket custom field (a dropdown or a text value): the API, the
dashboard and its drill-down agree with the raw rows, and a bad filter is a 422."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import User
from opora.crm import actions as crm
from opora.sla.models import TicketSla
from opora.tickets.models import Ticket
from tests.reports.test_kpis import PERIOD, week
from tests.writes import nothing_written

__all__ = ["week"]


@pytest.fixture
def sliced(week: list[Ticket], ada: User, lena: User) -> list[Ticket]:
    """T1 and T3 are about the printer, T2 about the network; T2 has an order number."""
    crm.create_field(
        by=ada, target="ticket", key="product", label_en="Product", label_ru="Продукт",
        kind="choice",
        options=[
            {"value": "printer", "en": "Printer", "ru": "Принтер"},
            {"value": "network", "en": "Network", "ru": "Сеть"},
        ],
    )  # fmt: skip
    crm.create_field(
        by=ada, target="ticket", key="order_number", label_en="Order number",
        label_ru="Номер заказа", kind="text",
    )  # fmt: skip
    t1, t2, t3 = week
    crm.set_ticket_fields(t1, {"product": "printer"}, by=lena)
    crm.set_ticket_fields(t3, {"product": "printer"}, by=lena)
    crm.set_ticket_fields(t2, {"product": "network", "order_number": "A-1001"}, by=lena)
    return week


def _raw(**lookup: Any) -> dict[str, int]:
    """The figures counted by hand from the rows of the period."""
    start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 7, tzinfo=UTC)
    rows = TicketSla.objects.filter(**{f"ticket__custom_fields__{k}": v for k, v in lookup.items()})
    return {
        "nst": rows.filter(created_at__gte=start, created_at__lt=end).count(),
        "solved": rows.filter(solved_at__gte=start, solved_at__lt=end).count(),
    }


def test_a_dropdown_value_slices_every_kpi(api: Any, sliced: list[Ticket], lena: User) -> None:
    printer = api(lena).get("/reports/kpis", {**PERIOD, "field": "product:printer"}).json()
    raw = _raw(product="printer")
    assert (printer["nst"], printer["solved"]) == (raw["nst"], raw["solved"]) == (2, 2)
    assert printer["art_hours"] == 12.0  # T1 3 h, T3 21 h
    assert (printer["csat_ratings"], printer["csat_average"]) == (1, 5.0)  # T1's rating
    network = api(lena).get("/reports/nst", {**PERIOD, "field": "product:network"}).json()
    assert network["nst"] == _raw(product="network")["nst"] == 1
    # two fields at once: both must match
    terms = [("field", "product:network"), ("field", "order_number:A-1001")]
    both = api(lena).get("/reports/kpis", [*terms, *PERIOD.items()]).json()
    assert both["nst"] == 1


def test_a_text_value_is_an_equality(api: Any, sliced: list[Ticket], lena: User) -> None:
    found = api(lena).get("/reports/kpis", {**PERIOD, "field": "order_number:A-1001"}).json()
    assert found["nst"] == _raw(order_number="A-1001")["nst"] == 1
    prefix = api(lena).get("/reports/nst", {**PERIOD, "field": "order_number:A-10"}).json()
    assert prefix["nst"] == 0
    drill = (
        api(lena)
        .get("/reports/tickets", {**PERIOD, "kpi": "nst", "field": "order_number:A-1001"})
        .json()
    )
    assert [row["number"] for row in drill["items"]] == [sliced[1].number]


def test_the_dashboard_and_its_drill_down_take_the_field(
    client: Client, api: Any, sliced: list[Ticket], lena: User
) -> None:
    client.force_login(lena)
    params = {**PERIOD, "field_key": "product", "field_value": "printer"}
    page = client.get("/reports/", params)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="product" selected>Product</option>' in html
    assert 'value="printer">Product: Printer</option>' in html  # the dropdown's options
    tile = re.search(r'data-kpi="nst">(.*?)</section>', html, re.S)
    assert tile is not None and ">2<" in tile.group(1)
    # the export carries the field in the API's form
    assert "field=product%3Aprinter" in html
    drill = client.get("/reports/tickets", {**params, "kpi": "nst"})
    rows = re.findall(r'<li data-ticket="(\d+)">', drill.content.decode())
    assert sorted(map(int, rows)) == sorted([sliced[0].number, sliced[2].number])


def test_bad_field_filters_are_422(client: Client, api: Any, sliced: list[Ticket], lena: User):
    lead = api(lena)
    client.force_login(lena)
    with nothing_written():
        for term, code in (
            ("colour:red", "unknown_field"),
            ("product:lamp", "unknown_option"),
            ("product:", "invalid_filter"),
            ("product", "invalid_filter"),
        ):
            answer = lead.get("/reports/kpis", {**PERIOD, "field": term})
            assert answer.status_code == 422, term
            assert answer.json()["code"] == code, term
        page = client.get("/reports/", {**PERIOD, "field_key": "product", "field_value": "lamp"})
        assert page.status_code == 422 and "data-error" in page.content.decode()


def test_a_russian_lead_reads_the_field_in_russian(
    client: Client, sliced: list[Ticket], lena: User
) -> None:
    lena.language = "ru"
    lena.save(update_fields=["language"])
    client.force_login(lena)
    html = client.get("/reports/", PERIOD, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Поле заявки" in html and "Значение поля" in html
    assert ">Продукт</option>" in html and "Продукт: Принтер" in html
