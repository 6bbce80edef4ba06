"""The complaints report: by root cause, the justified share, the weekly trend and the
time to resolve against the deadline, over complaints opened in a period.

One read of the period's complaint rows (with their ticket's solve time); the figures
are counted from them in Python, so every figure is a count a team lead can check
against the rows the API lists. Dismissed complaints (the detector was wrong) are out,
and so are tickets no longer of type "complaint" (linked to a problem as incidents).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from opora.complaints.models import Complaint, RootCause
from opora.core import clock
from opora.tickets.models import TicketType


@dataclass(frozen=True)
class CauseRow:
    key: str
    name: str
    count: int
    justified: int


@dataclass(frozen=True)
class WeekRow:
    week: date  # the Monday
    opened: int
    resolved: int


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    opened: int
    resolved: int
    unresolved: int
    by_root_cause: list[CauseRow]
    justified: int
    not_justified: int
    justified_share: float | None  # justified / (justified + not justified)
    weeks: list[WeekRow]
    on_time: int  # resolved by the deadline
    late: int  # resolved after it
    on_time_share: float | None
    overdue_open: int  # not resolved, deadline passed
    median_hours_to_resolve: float | None
    median_deadline_hours: float | None


def _monday(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _resolved_at(complaint: Complaint) -> datetime | None:
    return complaint.resolved_at or complaint.ticket.solved_at


def build(start: date, end: date, *, language: str = "en") -> Report:
    """Complaints opened from `start` to `end` (inclusive, UTC days)."""
    begin = datetime(start.year, start.month, start.day, tzinfo=clock.now().tzinfo)
    stop = datetime(end.year, end.month, end.day, tzinfo=begin.tzinfo) + timedelta(days=1)
    rows = list(
        Complaint.objects.filter(
            opened_at__gte=begin,
            opened_at__lt=stop,
            dismissed_at__isnull=True,
            ticket__type=TicketType.COMPLAINT,
        ).select_related("ticket", "root_cause")
    )
    now = clock.now()
    causes = {c.pk: c for c in RootCause.objects.all()}
    per_cause: dict[int, list[Complaint]] = {}
    weeks: dict[date, list[int]] = {}
    monday = _monday(begin)
    while monday < stop.date():
        weeks[monday] = [0, 0]
        monday += timedelta(days=7)
    hours: list[float] = []
    deadline_hours: list[float] = []
    on_time = late = overdue = 0
    for row in rows:
        weeks.setdefault(_monday(row.opened_at), [0, 0])[0] += 1
        if row.root_cause_id is not None:
            per_cause.setdefault(row.root_cause_id, []).append(row)
        deadline_hours.append((row.due_at - row.opened_at).total_seconds() / 3600)
        done = _resolved_at(row)
        if done is None:
            overdue += row.due_at < now
            continue
        weeks.setdefault(_monday(done), [0, 0])[1] += 1 if begin <= done < stop else 0
        hours.append((done - row.opened_at).total_seconds() / 3600)
        if done <= row.due_at:
            on_time += 1
        else:
            late += 1
    justified = sum(1 for r in rows if r.justified is True)
    not_justified = sum(1 for r in rows if r.justified is False)
    resolved = on_time + late
    by_cause = [
        CauseRow(
            key=causes[pk].key,
            name=causes[pk].name(language),
            count=len(found),
            justified=sum(1 for r in found if r.justified),
        )
        for pk, found in per_cause.items()
    ]
    by_cause.sort(key=lambda r: (-r.count, causes_position(causes, r.key)))
    return Report(
        start=start,
        end=end,
        opened=len(rows),
        resolved=resolved,
        unresolved=len(rows) - resolved,
        by_root_cause=by_cause,
        justified=justified,
        not_justified=not_justified,
        justified_share=(
            round(justified / (justified + not_justified), 4) if justified + not_justified else None
        ),
        weeks=[WeekRow(week=w, opened=v[0], resolved=v[1]) for w, v in sorted(weeks.items())],
        on_time=on_time,
        late=late,
        on_time_share=round(on_time / resolved, 4) if resolved else None,
        overdue_open=overdue,
        median_hours_to_resolve=round(statistics.median(hours), 1) if hours else None,
        median_deadline_hours=(
            round(statistics.median(deadline_hours), 1) if deadline_hours else None
        ),
    )


def causes_position(causes: dict[int, RootCause], key: str) -> int:
    return next((c.position for c in causes.values() if c.key == key), 0)
