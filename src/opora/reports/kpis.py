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

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate

from opora.feedback.models import Rating, RatingRequest
from opora.tickets.models import ACTIVE_STATUSES, Priority, Ticket, TicketType, TimeEntry

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

    def scope(self, prefix: str = "") -> Q:
        q = Q()
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


def created_in(f: ReportFilter) -> QuerySet[Ticket]:
    return tickets(f).filter(created_at__gte=f.start, created_at__lt=f.end)


def solved_in(f: ReportFilter) -> QuerySet[Ticket]:
    """Tickets whose (last) solve falls in the period and that stayed solved or closed."""
    return tickets(f).filter(
        solved_at__gte=f.start, solved_at__lt=f.end, status__in=["solved", "closed"]
    )


def nst(f: ReportFilter) -> dict[str, Any]:
    """NST: tickets created in the period."""
    return {"nst": created_in(f).count()}


def afrt(f: ReportFilter) -> dict[str, Any]:
    """AFRT: mean business hours from creation to first public agent reply, for first
    replies given in the period (pending time excluded)."""
    row = (
        tickets(f)
        .filter(first_response_at__gte=f.start, first_response_at__lt=f.end)
        .aggregate(n=Count("pk"), avg=Avg("sla__first_response_seconds"))
    )
    return {"afrt_hours": _hours(row["avg"]), "first_responses": row["n"]}


def solved_summary(f: ReportFilter) -> dict[str, Any]:
    """ART, on-time rate, FCR, escalation rate, time per line, incidents with logged
    time: one aggregate over the tickets solved in the period."""
    logged = Exists(TimeEntry.objects.filter(ticket_id=OuterRef("pk")))
    row = solved_in(f).aggregate(
        solved=Count("pk"),
        art=Avg("sla__resolution_seconds"),
        with_target=Count("pk", filter=Q(sla__resolution_breached__isnull=False)),
        on_time=Count(
            "pk",
            filter=Q(sla__resolution_breached=False) & ~Q(sla__first_response_breached=True),
        ),
        fcr=Count("pk", filter=Q(sla__agent_replies=1, sla__reopens=0)),
        escalated=Count("pk", filter=Q(sla__escalations__gt=0)),
        incidents=Count("pk", filter=Q(type=TicketType.INCIDENT)),
        incidents_logged=Count("pk", filter=Q(type=TicketType.INCIDENT) & Q(logged)),
        line1=Avg("sla__line1_seconds", filter=Q(sla__line1_seconds__gt=0)),
        line2=Avg("sla__line2_seconds", filter=Q(sla__line2_seconds__gt=0)),
        line3=Avg("sla__line3_seconds", filter=Q(sla__line3_seconds__gt=0)),
        lead=Avg("sla__lead_seconds", filter=Q(sla__lead_seconds__gt=0)),
    )
    solved = row["solved"]
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
    }


def solved_by_priority(f: ReportFilter) -> dict[str, Any]:
    """Solved tickets by priority."""
    counts = dict(
        solved_in(f)
        .order_by()
        .values_list("priority")
        .annotate(n=Count("pk"))
        .values_list("priority", "n")
    )
    return {"solved_by_priority": {p.code: counts.get(p.value, 0) for p in Priority}}


def backlog(f: ReportFilter) -> dict[str, Any]:
    """NTB: tickets open at the end of the period (created before it and not solved
    by then), and how many of them were past their resolution due time."""
    end = f.end
    still_open = tickets(f).filter(status__in=ACTIVE_STATUSES, created_at__lt=end)
    solved_later = tickets(f).filter(solved_at__gte=end, created_at__lt=end)
    overdue = Q(resolution_due_at__lt=end)
    a = still_open.aggregate(n=Count("pk"), late=Count("pk", filter=overdue))
    b = solved_later.aggregate(n=Count("pk"), late=Count("pk", filter=overdue))
    return {"ntb": a["n"] + b["n"], "ntb_overdue": a["late"] + b["late"]}


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


def cost(f: ReportFilter) -> dict[str, Any]:
    """Cost of solved tickets: time logged on tickets solved in the period x the rate
    of the agent at logging time; total and per solved ticket."""
    amount = ExpressionWrapper(
        F("minutes") * F("rate_per_hour") / 60,
        output_field=DecimalField(max_digits=14, decimal_places=4),
    )
    entries = TimeEntry.objects.filter(
        f.scope("ticket__"),
        ticket__solved_at__gte=f.start,
        ticket__solved_at__lt=f.end,
        ticket__status__in=["solved", "closed"],
    )
    row = entries.aggregate(total=Sum(amount), minutes=Sum("minutes"))
    solved = solved_in(f).count()
    total = Decimal(row["total"] or 0).quantize(Decimal("0.01"))
    per = (total / solved).quantize(Decimal("0.01")) if solved else None
    return {
        "cost_total": str(total),
        "cost_per_ticket": None if per is None else str(per),
        "logged_minutes": int(row["minutes"] or 0),
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
    result: dict[str, Any] = {}
    for fn in KPIS.values():
        result.update(fn(f))
    return result
