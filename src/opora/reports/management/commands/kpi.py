"""opora kpi verify --from 2026-09-01 --to 2026-11-30: recompute every KPI from the raw
rows (reports/verify.py) and compare with the reports; exit 1 listing the differences."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from opora.reports import verify
from opora.reports.kpis import ReportFilter, all_kpis


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "KPI tools. verify: recompute each KPI from the raw data and compare with the reports."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("verify", help="recompute the KPIs of a period and compare")
        check.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        check.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = _day(options["start"]), _day(options["end"])
        if last < first:
            raise CommandError("--to is before --from")
        start = datetime.combine(first, time(0), tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
        report = all_kpis(ReportFilter(start=start, end=end))
        result = verify.recompute(start, end, now=timezone.now())
        differences = verify.compare(report, result, suspects=verify.sla_suspects)
        if not differences:
            self.stdout.write(
                f"All {len(result.values)} KPI values for {first}..{last} agree "
                f"({len(result.facts)} tickets recomputed)."
            )
            return
        for d in differences:
            tickets = ", ".join(f"#{n}" for n in d.tickets) or "-"
            self.stdout.write(
                f"{d.kpi}: report {d.report!r}, recomputed {d.recomputed!r}; tickets {tickets}"
            )
        raise CommandError(f"{len(differences)} KPI value(s) differ", returncode=1)
