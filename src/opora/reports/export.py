"""CSV export of the KPIs: one row per KPI, plus the daily trend."""

from __future__ import annotations

import csv
import io
from typing import Any


def kpis_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kpi", "key", "value"])
    for name, value in data.items():
        if name == "trend":
            continue
        if isinstance(value, dict):
            for key, sub in value.items():
                writer.writerow([name, key, "" if sub is None else sub])
        else:
            writer.writerow([name, "", "" if value is None else value])
    for day in data.get("trend", []):
        writer.writerow(["created_per_day", day["day"], day["created"]])
        writer.writerow(["solved_per_day", day["day"], day["solved"]])
    return out.getvalue()
