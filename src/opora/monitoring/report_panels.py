"""What monitoring adds to the KPI dashboard (registered in `MonitoringConfig.ready()`):
incidents of the period, how long they took to detect and to resolve."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.monitoring.selectors import incident_figures, may_manage_monitors
from opora.reports.kpis import ReportFilter
from opora.reports.panels import Panel


def incidents_panel(f: ReportFilter, viewer: User) -> Panel | None:
    if not may_manage_monitors(viewer):
        return None
    figures = incident_figures(f.start, f.end, team_id=f.team)

    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / 60, 1)

    return Panel(
        key="monitoring-incidents",
        title=_("Incidents"),
        bars={
            _("Incidents"): figures.count,
            _("Still open"): figures.open,
            _("Time to detect, min"): minutes(figures.detect_seconds),
            _("Time to resolve, min"): minutes(figures.resolve_seconds),
        },
        digits=1,
        link="/admin/monitoring/",
        link_text=_("Monitoring"),
        note=_("Means over the incidents detected in the period, from their first failure."),
    )
