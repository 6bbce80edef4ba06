"""What automation adds to the KPI dashboard (registered in `AutomationConfig.ready()`)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.automation import coach
from opora.automation.selectors import access_coach_report
from opora.core.errors import Forbidden
from opora.reports.kpis import ReportFilter
from opora.reports.panels import Panel


def etiquette_panel(f: ReportFilter, viewer: User) -> Panel | None:
    """Per agent, the share of their public replies that met the reply etiquette.

    Team leads and admins only (the same rule as the coach's own report); the page's
    period and team apply, and an agent filter keeps that agent's row."""
    try:
        access_coach_report(viewer)
    except Forbidden:
        return None
    rows = coach.etiquette_by_agent(start=f.start, end=f.end, team_id=f.team)
    if f.agent is not None:
        rows = [row for row in rows if row.agent_id == f.agent]
    last_day = (f.end - timedelta(days=1)).date()  # the period ends before f.end
    query = urlencode({"start": f.start.date().isoformat(), "end": last_day.isoformat()})
    return Panel(
        key="etiquette-by-agent",
        title=_("Replies meeting the etiquette, per agent"),
        bars={f"{row.name} ({row.replies})": round(row.share * 100, 1) for row in rows},
        unit="%",
        digits=0,
        link=f"/admin/coach/?{query}",
        link_text=_("The reply coach's report"),
        note=_("In brackets: public replies sent in the period."),
    )
