"""CSV and XLSX exports hold the same numbers, from the page's links and the API alike."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.reports.weeks import LAST_WEEK, weeks
from tests.writes import nothing_written

__all__ = ["weeks"]


def _value(value) -> object:
    """A cell or a CSV field as a number when it is one, so 8, 8.0 and "8.00" agree."""
    if value is None or value == "":
        return ""
    try:
        return round(float(value), 4)
    except (TypeError, ValueError):
        return str(value)


def test_xlsx_opens_and_holds_the_csv_rows(weeks, api, lena):
    lead = api(lena)
    csv_response = lead.get("/reports/export.csv", LAST_WEEK)
    xlsx_response = lead.get("/reports/export.xlsx", LAST_WEEK)
    assert xlsx_response.status_code == 200
    assert xlsx_response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="opora-kpis-2026-03-16.xlsx"' in xlsx_response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    cells = [[_value(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert len(cells) == len(rows) > 40
    for got, want in zip(cells, rows, strict=True):
        assert got == [_value(w) for w in want]
    # the numbers a lead looks for, and the new breakdowns
    text = csv_response.content.decode()
    assert "nst,,4" in text and "cost_total,,1500.00" in text
    assert "created_per_channel,email,2" in text
    assert "solved_per_agent,Alice,2" in text and "solved_per_agent,Bob,1" in text
    assert "solved_per_line,2,1" in text


def test_the_exports_share_the_filters_and_the_permission(weeks, api, lena, dana, client):
    lead = api(lena)
    web = lead.get("/reports/export.xlsx", {**LAST_WEEK, "channel": "web"})
    sheet = load_workbook(io.BytesIO(web.content)).active
    values = {(r[0], r[1] or ""): r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[("nst", "")] == 1
    customer = api(dana)
    with nothing_written():
        assert customer.get("/reports/export.xlsx", LAST_WEEK).status_code == 403
    bad = lead.get("/reports/export.xlsx", {"start": "2026-03-22", "end": "2026-03-01"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_period")
    assert lead.get("/reports/export.xlsx", {"team": "x"}).status_code == 422
    # the page links to both files with its filters
    client.force_login(lena)
    page = client.get("/reports/", {**LAST_WEEK, "channel": "web"}).content.decode()
    assert "/api/v1/reports/export.xlsx?start=2026-03-16&amp;end=2026-03-22&amp;channel=web" in page
    assert "/api/v1/reports/export.csv?start=2026-03-16&amp;end=2026-03-22&amp;channel=web" in page


def test_openapi_documents_the_xlsx_export(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/reports/export.xlsx"]["get"]
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in str(
        operation["responses"]["200"]
    )
    assert {p["name"] for p in operation["parameters"]} >= {"start", "end", "team", "channel"}
    assert "/api/v1/reports/tickets" in schema["paths"]
    assert "put" in schema["paths"]["/api/v1/reports/digest"]
