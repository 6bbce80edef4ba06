"""Panels that apps above reports add to the KPI dashboard.

Reports knows tickets, not what automation or other apps measure about them; an app
that has a per-period figure worth a team lead's eye (the reply coach's etiquette share
per agent, for one) registers a provider in its `AppConfig.ready()`. The dashboard asks
each provider with the page's filter and shows what it returns as a bar chart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opora.accounts.models import User
from opora.reports.kpis import ReportFilter


@dataclass(frozen=True)
class Panel:
    key: str  # the section's id on the page
    title: str
    bars: dict[str, float | None]  # label -> value, in the order shown
    unit: str = ""
    digits: int = 0
    link: str = ""  # where the figures come from, in more detail
    link_text: str = ""
    note: str = ""


Provider = Callable[[ReportFilter, User], "Panel | None"]
_providers: list[Provider] = []


def register_panel(provider: Provider) -> None:
    if provider not in _providers:  # ready() may run twice in tests
        _providers.append(provider)


def panels_for(f: ReportFilter, viewer: User) -> list[Panel]:
    found = (provider(f, viewer) for provider in _providers)
    return [panel for panel in found if panel is not None]
