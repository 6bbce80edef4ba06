"""The dashboard's tiles: each KPI named in words with its acronym, its one-line
definition (docs/kpi.md), its value in the reader's number format, the change from the
previous period of the same length, and the tickets behind it.

The page and the weekly digest both build their numbers here, so a digest and the
dashboard it links to say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from opora.reports.kpis import ReportFilter

DASH = "\u2013"  # en dash: no value


@dataclass(frozen=True)
class Spec:
    key: str  # data-kpi on the page
    value: str  # the key in kpis.all_kpis()
    name: Promise
    acronym: str
    definition: Promise
    kind: str  # count, hours, rate, score, money
    up_is_good: bool | None  # None: neither (more new tickets is just more work)
    drill: str | None = None  # the drill-down behind the value


SPECS: tuple[Spec, ...] = (
    Spec(
        "nst",
        "nst",
        gettext_lazy("New tickets"),
        "NST",
        gettext_lazy("Tickets created in the period."),
        "count",
        None,
        "nst",
    ),
    Spec(
        "solved",
        "solved",
        gettext_lazy("Solved tickets"),
        "",
        gettext_lazy(
            "Tickets whose last solve falls in the period and that are still solved or closed."
        ),
        "count",
        True,
        "solved",
    ),
    Spec(
        "afrt",
        "afrt_hours",
        gettext_lazy("Average first response time"),
        "AFRT",
        gettext_lazy(
            "Mean business hours from creation to the first public agent reply, for first "
            "replies given in the period; pending time excluded."
        ),
        "hours",
        False,
        "responded",
    ),
    Spec(
        "art",
        "art_hours",
        gettext_lazy("Average resolution time"),
        "ART",
        gettext_lazy(
            "Mean business hours from creation to the last solve, for tickets solved in the "
            "period; pending time excluded."
        ),
        "hours",
        False,
        "solved",
    ),
    Spec(
        "ntb",
        "ntb",
        gettext_lazy("Backlog"),
        "NTB",
        gettext_lazy("Tickets created before the end of the period and not solved by then."),
        "count",
        False,
        "backlog",
    ),
    Spec(
        "on_time",
        "on_time_rate",
        gettext_lazy("On-time rate"),
        "SLA",
        gettext_lazy(
            "Of the tickets solved in the period that had a resolution target: the share that "
            "met it and did not breach the first-response target."
        ),
        "rate",
        True,
    ),
    Spec(
        "fcr",
        "fcr_rate",
        gettext_lazy("First-contact resolution"),
        "FCR",
        gettext_lazy(
            "Of the tickets solved in the period: the share solved with exactly one public "
            "agent reply, never escalated and never reopened."
        ),
        "rate",
        True,
        "fcr",
    ),
    Spec(
        "csat",
        "csat_average",
        gettext_lazy("Customer satisfaction"),
        "CSAT",
        gettext_lazy("Mean of the ratings (1\u20135) given in the period."),
        "score",
        True,
        "rated",
    ),
    Spec(
        "escalation",
        "escalation_rate",
        gettext_lazy("Escalation rate"),
        "",
        gettext_lazy(
            "Of the tickets solved in the period: the share moved up a level (line 2, line 3 "
            "or the team lead) at least once."
        ),
        "rate",
        False,
        "escalated",
    ),
    Spec(
        "time",
        "incidents_with_time_rate",
        gettext_lazy("Incidents with logged time"),
        "",
        gettext_lazy("Of the incidents solved in the period: the share with a time entry."),
        "rate",
        True,
    ),
    Spec(
        "cost",
        "cost_total",
        gettext_lazy("Cost of solved tickets"),
        "",
        gettext_lazy(
            "Time logged on the tickets solved in the period times each agent's hourly rate "
            "at logging time."
        ),
        "money",
        False,
    ),
)


@dataclass(frozen=True)
class Change:
    previous: str  # formatted
    arrow: str  # ▲ ▼ or =
    percent: str  # "+12.5 %", "" when the previous value was 0
    tone: str  # good, bad, neutral


@dataclass(frozen=True)
class Tile:
    spec: Spec
    value: str
    raw: Any
    href: str | None
    change: Change | None
    notes: list[tuple[str, str | None]] = field(default_factory=list)  # (text, link)

    @property
    def title(self) -> str:
        """ "Average first response time (AFRT)"; the name alone when it has no acronym."""
        name = str(self.spec.name)
        return f"{name} ({self.spec.acronym})" if self.spec.acronym else name


def number(value: Any, decimals: int | None = None) -> str:
    """A number in the active language's format (ru: decimal comma, thin spaces)."""
    if value is None:
        return DASH
    if isinstance(value, str):
        value = Decimal(value)
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def show(kind: str, value: Any) -> str:
    """A KPI value with its unit, localized."""
    if value is None:
        return DASH
    if kind == "hours":
        return _("%(value)s h") % {"value": number(value, 2)}
    if kind == "rate":
        return _("%(value)s %%") % {"value": number(value, 1)}
    if kind == "score":
        return number(value, 2)
    if kind == "money":
        return number(value, 2)
    return number(value)


def change(spec: Spec, current: Any, previous: Any) -> Change | None:
    """The move from the previous period: arrow, relative % and whether it is good."""
    if current is None or previous is None:
        return None
    now, before = float(current), float(previous)
    arrow = "▲" if now > before else "▼" if now < before else "="
    if arrow == "=" or spec.up_is_good is None:
        tone = "neutral"
    else:
        tone = "good" if (arrow == "▲") == spec.up_is_good else "bad"
    percent = ""
    if before:
        delta = round(100 * (now - before) / abs(before), 1)
        sign = "+" if delta > 0 else "\u2212" if delta < 0 else ""
        percent = _("%(value)s %%") % {"value": sign + number(abs(delta), 1)}
    return Change(previous=show(spec.kind, previous), arrow=arrow, percent=percent, tone=tone)


def previous_period(f: ReportFilter) -> ReportFilter:
    """The period of the same length that ends where `f` starts, with the same slices."""
    length: timedelta = f.end - f.start
    return ReportFilter(
        start=f.start - length,
        end=f.start,
        team=f.team,
        agent=f.agent,
        channel=f.channel,
        priority=f.priority,
        organization=f.organization,
        fields=f.fields,
    )


def drill_url(kpi: str, query: dict[str, str], base: str = "") -> str:
    return f"{base}/reports/tickets?" + urlencode({"kpi": kpi, **query})


def _notes(
    spec: Spec, data: dict[str, Any], query: dict[str, str], counts: dict[str, int], base: str
) -> list[tuple[str, str | None]]:
    """The smaller numbers under a tile, each linked to its tickets where it has some."""
    if spec.key == "ntb":
        n = data["ntb_overdue"]
        text = ngettext("%(n)s overdue", "%(n)s overdue", n) % {"n": number(n)}
        return [(text, drill_url("overdue", query, base))]
    if spec.key == "afrt":
        n = data["first_responses"]
        text = ngettext("%(n)s first response", "%(n)s first responses", n) % {"n": number(n)}
        return [(text, drill_url("responded", query, base))]
    if spec.key == "on_time" and "breached" in counts:
        n = counts["breached"]
        text = ngettext("%(n)s breached", "%(n)s breached", n) % {"n": number(n)}
        return [(text, drill_url("breached", query, base))]
    if spec.key == "csat":
        n = data["csat_ratings"]
        rate = show("rate", data["csat_response_rate"])
        return [
            (ngettext("%(n)s rating", "%(n)s ratings", n) % {"n": number(n)}, None),
            (_("response rate %(rate)s") % {"rate": rate}, None),
        ]
    if spec.key == "cost":
        per = number(data["cost_per_ticket"], 2)
        return [(_("%(value)s per solved ticket") % {"value": per}, None)]
    return []


def build_tiles(
    data: dict[str, Any],
    before: dict[str, Any],
    query: dict[str, str],
    counts: dict[str, int] | None = None,
    base: str = "",
) -> list[Tile]:
    """Tiles for the period's `data` against the previous period's `before`; `query`
    (start, end and the filters) goes into every drill-down link, after `base` (the
    desk's address, for links in mail)."""
    found = counts or {}
    tiles = []
    for spec in SPECS:
        raw = data.get(spec.value)
        tiles.append(
            Tile(
                spec=spec,
                value=show(spec.kind, raw),
                raw=raw,
                href=drill_url(spec.drill, query, base) if spec.drill else None,
                change=change(spec, raw, before.get(spec.value)),
                notes=_notes(spec, data, query, found, base),
            )
        )
    return tiles
