"""The tickets behind a dashboard number: the same querysets `reports.kpis` counts, so a
tile that says 12 lists 12 tickets.

Each entry names the KPI's own set (tickets created, solved, still open...) and narrows
it the way the KPI does; a change of definition in `kpis` shows up here through the
shared querysets, and `tests/reports/test_dashboard_drilldown.py` holds the counts equal.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from opora.feedback.models import Rating
from opora.reports import kpis
from opora.reports.kpis import ReportFilter
from opora.sla.models import TicketSla
from opora.tickets.models import ACTIVE_STATUSES, Ticket


def _tickets(rows: QuerySet[TicketSla]) -> QuerySet[Ticket]:
    return Ticket.objects.filter(pk__in=rows.values("pk"))


def created(f: ReportFilter) -> QuerySet[Ticket]:
    """NST."""
    return _tickets(kpis.created_in(f))


def solved(f: ReportFilter) -> QuerySet[Ticket]:
    """Solved in the period (the base of ART, FCR, on-time and escalation rates)."""
    return _tickets(kpis.solved_in(f))


def responded(f: ReportFilter) -> QuerySet[Ticket]:
    """First public reply given in the period (the tickets AFRT averages)."""
    return _tickets(
        kpis.facts(f).filter(first_response_at__gte=f.start, first_response_at__lt=f.end)
    )


def backlog(f: ReportFilter) -> QuerySet[Ticket]:
    """NTB: created before the end and not solved by then."""
    return kpis.tickets(f).filter(
        Q(status__in=ACTIVE_STATUSES) | Q(solved_at__gte=f.end), created_at__lt=f.end
    )


def overdue(f: ReportFilter) -> QuerySet[Ticket]:
    """The backlog past its resolution due time at the end of the period."""
    return backlog(f).filter(resolution_due_at__lt=f.end)


def breached(f: ReportFilter) -> QuerySet[Ticket]:
    """Solved in the period with a resolution target, and not on time: the complement
    of the on-time rate's numerator."""
    return _tickets(
        kpis.solved_in(f)
        .filter(resolution_breached__isnull=False)
        .filter(Q(resolution_breached=True) | Q(first_response_breached=True))
    )


def first_contact(f: ReportFilter) -> QuerySet[Ticket]:
    """FCR: solved with exactly one public agent reply, never escalated or reopened."""
    return _tickets(kpis.solved_in(f).filter(agent_replies=1, reopens=0, escalations=0))


def escalated(f: ReportFilter) -> QuerySet[Ticket]:
    """Solved in the period after being moved up a level at least once."""
    return _tickets(kpis.solved_in(f).filter(escalations__gt=0))


def rated(f: ReportFilter) -> QuerySet[Ticket]:
    """Rated in the period (one rating per ticket, its latest score)."""
    ratings = Rating.objects.filter(
        f.scope("ticket__"), created_at__gte=f.start, created_at__lt=f.end
    )
    return Ticket.objects.filter(pk__in=ratings.values("ticket_id"))


DRILLS: dict[str, tuple[Callable[[ReportFilter], QuerySet[Ticket]], object]] = {
    "nst": (created, _("Tickets created in the period (NST)")),
    "solved": (solved, _("Tickets solved in the period")),
    "responded": (responded, _("Tickets first answered in the period (AFRT)")),
    "backlog": (backlog, _("Open tickets at the end of the period (NTB)")),
    "overdue": (overdue, _("Overdue tickets at the end of the period")),
    "breached": (breached, _("Solved tickets that missed their SLA target")),
    "fcr": (first_contact, _("Tickets solved at first contact (FCR)")),
    "escalated": (escalated, _("Solved tickets that were escalated")),
    "rated": (rated, _("Tickets rated in the period (CSAT)")),
}


def drill(kpi: str, f: ReportFilter) -> QuerySet[Ticket]:
    """The tickets behind `kpi`; KeyError for a name not in DRILLS."""
    return DRILLS[kpi][0](f)


def title(kpi: str) -> str:
    return str(DRILLS[kpi][1])
