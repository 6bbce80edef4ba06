"""The KPIs as a file: CSV and XLSX hold the same rows (kpi, key, value): one row per
KPI, one per key of a KPI with parts, the daily trend, and the per-channel, per-line
and per-agent breakdowns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook

Row = tuple[str, str, Any]
HEADER = ("kpi", "key", "value")


def kpi_rows(data: dict[str, Any], breakdown: dict[str, Any] | None = None) -> Iterator[Row]:
    """Every number of `kpis.all_kpis()` (and of `breakdowns.breakdowns()`) as a row;
    an empty KPI is None."""
    for name, value in data.items():
        if name == "trend":
            continue
        if isinstance(value, dict):
            for key, sub in value.items():
                yield (name, key, sub)
        else:
            yield (name, "", value)
    for day in data.get("trend", []):
        yield ("created_per_day", day["day"], day["created"])
        yield ("solved_per_day", day["day"], day["solved"])
    parts = breakdown or {}
    for channel, n in parts.get("created_per_channel", {}).items():
        yield ("created_per_channel", channel, n)
    for level, n in parts.get("solved_per_line", {}).items():
        yield ("solved_per_line", level, n)
    for agent, numbers in parts.get("per_agent", {}).items():
        yield ("solved_per_agent", agent, numbers["solved"])
        yield ("afrt_hours_per_agent", agent, numbers["afrt_hours"])


def kpis_csv(data: dict[str, Any], breakdown: dict[str, Any] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for name, key, value in kpi_rows(data, breakdown):
        writer.writerow([name, key, "" if value is None else value])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Numbers stay numbers in the sheet; money (a decimal string) too."""
    if isinstance(value, str):
        try:
            return float(value) if value.replace(".", "", 1).lstrip("-").isdigit() else value
        except ValueError:
            return value
    return value


def kpis_xlsx(data: dict[str, Any], breakdown: dict[str, Any] | None = None) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("KPIs")
    sheet.append(list(HEADER))
    for name, key, value in kpi_rows(data, breakdown):
        sheet.append([name, key, _cell(value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
