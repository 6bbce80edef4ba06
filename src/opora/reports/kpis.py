"""The KPIs a support lead is asked for, from stored timestamps and per-ticket SLA rows.

Definitions are in docs/kpi.md; each function below names the one it implements.
Every query reads an indexed range of one month (or any period) and aggregates in the
database: no per-ticket Python, no event replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate

from opora.feedback.models import Rating, RatingRequest
from opora.sla.models import TicketSla
from opora.tickets.models import ACTIVE_STATUSES, Event, EventKind, Priority, Ticket, TicketType

LEVELS = ("1", "2", "3", "lead")
MAX_TREND_DAYS = 400  # periods longer than this are refused by the API


@dataclass(frozen=True)
class ReportFilter:
    """A period [start, end) plus optional slices; None means "all"."""

    start: datetime
    end: datetime
    team: int | None = None
    agent: int | None = None
    channel: str | None = None
    priority: int | None = None
    organization: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Ticket custom field values to match: (lookup from the ticket, value), e.g.
    # ("custom_fields__order_kind", "return"), as `crm.selectors.field_filters` builds.
    fields: tuple[tuple[str, Any], ...] = ()

    def scope(self, prefix: str = "", *, ticket: str | None = None) -> Q:
        """The slices as a filter of rows whose columns start with `prefix`; `ticket`
        is the path from those rows to their ticket (default `prefix`), where the
        custom field values are."""
        q = Q()
        to_ticket = prefix if ticket is None else ticket
        for lookup, value in self.fields:
            q &= Q(**{to_ticket + lookup: value})
        for name, value in (
            ("team_id", self.team),
            ("assignee_id", self.agent),
            ("channel", self.channel),
            ("priority", self.priority),
            ("organization_id", self.organization),
        ):
            if value is not None:
                q &= Q(**{prefix + name: value})
        return q


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _pct(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def tickets(f: ReportFilter) -> QuerySet[Ticket]:
    return Ticket.objects.filter(f.scope())


def facts(f: ReportFilter) -> QuerySet[TicketSla]:
    """Per-ticket SLA rows, which carry the report dimensions and milestones."""
    return TicketSla.objects.filter(f.scope(ticket="ticket__"))


def created_in(f: ReportFilter) -> QuerySet[TicketSla]:
    return facts(f).filter(created_at__gte=f.start, created_at__lt=f.end)


def solved_in(f: ReportFilter) -> QuerySet[TicketSla]:
    """Tickets whose (last) solve falls in the period and that stayed solved or closed."""
    return facts(f).filter(solved_at__gte=f.start, solved_at__lt=f.end)


def nst(f: ReportFilter) -> dict[str, Any]:
    """NST: tickets created in the period."""
    return {"nst": created_in(f).count()}


def afrt(f: ReportFilter) -> dict[str, Any]:
    """AFRT: mean business hours from creation to first public agent reply, for first
    replies given in the period (pending time excluded)."""
    row = (
        facts(f)
        .filter(first_response_at__gte=f.start, first_response_at__lt=f.end)
        .aggregate(n=Count("pk"), avg=Avg("first_response_seconds"))
    )
    return {"afrt_hours": _hours(row["avg"]), "first_responses": row["n"]}


def solved_summary(f: ReportFilter) -> dict[str, Any]:
    """ART, on-time rate, FCR, escalation rate, time per line, incidents with logged
    time: one aggregate over the tickets solved in the period."""
    incident = Q(type=TicketType.INCIDENT)
    row = solved_in(f).aggregate(
        solved=Count("pk"),
        art=Avg("resolution_seconds"),
        with_target=Count("pk", filter=Q(resolution_breached__isnull=False)),
        on_time=Count("pk", filter=Q(resolution_breached=False) & ~Q(first_response_breached=True)),
        fcr=Count("pk", filter=Q(agent_replies=1, reopens=0, escalations=0)),
        escalated=Count("pk", filter=Q(escalations__gt=0)),
        incidents=Count("pk", filter=incident),
        incidents_logged=Count("pk", filter=incident & Q(logged_minutes__gt=0)),
        line1=Avg("line1_seconds", filter=Q(line1_seconds__gt=0)),
        line2=Avg("line2_seconds", filter=Q(line2_seconds__gt=0)),
        line3=Avg("line3_seconds", filter=Q(line3_seconds__gt=0)),
        lead=Avg("lead_seconds", filter=Q(lead_seconds__gt=0)),
        cost=Sum("logged_cost"),
        minutes=Sum("logged_minutes"),
        **{f"p{p.value}": Count("pk", filter=Q(priority=p.value)) for p in Priority},
    )
    solved = row["solved"]
    total = Decimal(row["cost"] or 0).quantize(Decimal("0.01"))
    per = (total / solved).quantize(Decimal("0.01")) if solved else None
    return {
        "solved": solved,
        "art_hours": _hours(row["art"]),
        "on_time_rate": _pct(row["on_time"], row["with_target"]),
        "fcr_rate": _pct(row["fcr"], solved),
        "escalation_rate": _pct(row["escalated"], solved),
        "solved_incidents": row["incidents"],
        "incidents_with_time_rate": _pct(row["incidents_logged"], row["incidents"]),
        "hours_per_line": {
            "1": _hours(row["line1"]),
            "2": _hours(row["line2"]),
            "3": _hours(row["line3"]),
            "lead": _hours(row["lead"]),
        },
        "solved_by_priority": {p.code: row[f"p{p.value}"] for p in Priority},
        "cost_total": str(total),
        "cost_per_ticket": None if per is None else str(per),
        "logged_minutes": int(row["minutes"] or 0),
    }


def solved_by_priority(f: ReportFilter) -> dict[str, Any]:
    """Solved tickets by priority."""
    return {"solved_by_priority": solved_summary(f)["solved_by_priority"]}


def cost(f: ReportFilter) -> dict[str, Any]:
    """Cost of solved tickets: time logged on tickets solved in the period x the rate
    of the agent at logging time; total and per solved ticket."""
    summary = solved_summary(f)
    return {k: summary[k] for k in ("cost_total", "cost_per_ticket", "logged_minutes")}


def backlog(f: ReportFilter) -> dict[str, Any]:
    """NTB: tickets open at the end of the period (created before it and not solved or
    closed at that moment), and how many of them were past their resolution due time.

    A ticket's status at the end is the one its first status move after the end left
    (its current status when it has not moved since). Only tickets active now or moved
    since the end can have been active then: an indexed set, however old the period.
    """
    end = f.end
    moved_since = Event.objects.filter(kind=EventKind.STATUS, created_at__gte=end)
    status_then = Subquery(
        moved_since.filter(ticket_id=OuterRef("pk")).order_by("created_at", "id").values("old")[:1]
    )
    created = tickets(f).filter(created_at__lt=end)
    moved = moved_since.values("ticket_id")
    # Two sets, so that the per-ticket lookup of the status then runs only for the
    # tickets that moved since the end: for a recent period, a handful.
    unmoved_open = created.filter(status__in=ACTIVE_STATUSES).exclude(pk__in=moved)
    moved_open = (
        created.filter(pk__in=moved).annotate(then=status_then).filter(then__in=ACTIVE_STATUSES)
    )
    n = late = 0
    for open_then in (unmoved_open, moved_open):
        row = open_then.aggregate(
            n=Count("pk"), late=Count("pk", filter=Q(resolution_due_at__lt=end))
        )
        n, late = n + row["n"], late + row["late"]
    return {"ntb": n, "ntb_overdue": late}


def csat(f: ReportFilter) -> dict[str, Any]:
    """CSAT: ratings given in the period — mean score, distribution 1..5, and response
    rate (ratings / rating requests sent in the period)."""
    ratings = Rating.objects.filter(
        f.scope("ticket__"), created_at__gte=f.start, created_at__lt=f.end
    )
    row = ratings.aggregate(
        n=Count("pk"),
        avg=Avg("score"),
        **{f"s{i}": Count("pk", filter=Q(score=i)) for i in range(1, 6)},
    )
    asked = RatingRequest.objects.filter(
        f.scope("ticket__"), sent_at__gte=f.start, sent_at__lt=f.end
    ).count()
    return {
        "csat_average": None if row["avg"] is None else round(float(row["avg"]), 2),
        "csat_ratings": row["n"],
        "csat_distribution": {str(i): row[f"s{i}"] for i in range(1, 6)},
        "csat_response_rate": _pct(row["n"], asked),
    }


def trend(f: ReportFilter) -> dict[str, Any]:
    """Created and solved tickets per day (UTC) over the period."""
    created = dict(
        created_in(f)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    solved = dict(
        solved_in(f)
        .annotate(day=TruncDate("solved_at"))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days: list[dict[str, Any]] = []
    day: date = f.start.astimezone(UTC).date()
    for _ in range(MAX_TREND_DAYS):
        if datetime.combine(day, time.min, tzinfo=UTC) >= f.end:
            break
        days.append(
            {"day": day.isoformat(), "created": created.get(day, 0), "solved": solved.get(day, 0)}
        )
        day += timedelta(days=1)
    return {"trend": days}


KPIS = {
    "nst": nst,
    "afrt": afrt,
    "solved": solved_summary,
    "by-priority": solved_by_priority,
    "backlog": backlog,
    "csat": csat,
    "cost": cost,
    "trend": trend,
}


def all_kpis(f: ReportFilter) -> dict[str, Any]:
    """Every KPI; the solved-ticket group is one query shared by several KPIs."""
    result: dict[str, Any] = {}
    for fn in (nst, afrt, solved_summary, backlog, csat, trend):
        result.update(fn(f))
    return result
