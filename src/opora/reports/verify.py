"""`opora kpi verify`: every KPI of docs/kpi.md recomputed from the raw rows, compared
with what the reports say.

The reports read the per-ticket SLA rows the clock keeps (`sla.TicketSla`); a mistake
in the clock is then a mistake in every report, and nothing would show it. This module
walks the other way, on purpose with code of its own: tickets, their history events
(creation, status moves, priority and type changes, level hops, replies), the messages
now on each ticket, ratings, time entries and the SLA policies with their calendars.
It never reads TicketSla to compute a number, nor calls the report helpers: it reads the
SLA rows only after the fact, to name the tickets behind a difference.

Known limits: the policies and calendars are taken as they are now (their edits are
not in the history), and a ticket's organization as it is now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from opora.feedback.models import Rating, RatingRequest
from opora.sla.models import BusinessCalendar, CalendarDay, SlaPolicy
from opora.tickets.models import Event, EventKind, Message, Priority, Ticket, TimeEntry

STOPPED = ("solved", "closed")
LEVEL_ORDER = ("1", "2", "3", "lead")
CODES = {p.name.lower(): p.value for p in Priority}
# Reports round hours to 0.01; durations agree when within a minute (plus that rounding).
HOURS_TOLERANCE = 1 / 60 + 0.01
MAX_SEARCH_DAYS = 3 * 366


# --- business time ------------------------------------------------------------------


class WorkingHours:
    """A calendar's working spans, read from its rows once: the business-time ruler."""

    def __init__(self, calendar: BusinessCalendar | None) -> None:
        self.zone = ZoneInfo(calendar.time_zone if calendar else "UTC")
        self.around_the_clock = calendar is None or calendar.always_open
        self.week: dict[int, list[tuple[time, time | None]]] = {}
        self.exceptions: dict[date, str] = {}
        self._cache: dict[date, list[tuple[datetime, datetime]]] = {}
        if calendar is None:
            return
        for weekday, spans in (calendar.week or {}).items():
            self.week[int(weekday)] = [(self._clock(a), self._end(b)) for a, b in spans]
        for day, kind in CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"):
            self.exceptions[day] = kind

    @staticmethod
    def _clock(text: str) -> time:
        return time.fromisoformat(text)

    @staticmethod
    def _end(text: str) -> time | None:
        return None if text.startswith("24:00") else time.fromisoformat(text)

    def day(self, local: date) -> list[tuple[datetime, datetime]]:
        """Working spans of a local date (aware datetimes), cached."""
        found = self._cache.get(local)
        if found is None:
            found = self._cache[local] = self._day(local)
        return found

    def _day(self, local: date) -> list[tuple[datetime, datetime]]:
        midnight = datetime.combine(local, time(0), tzinfo=self.zone)
        next_midnight = datetime.combine(local + timedelta(days=1), time(0), tzinfo=self.zone)
        if self.around_the_clock:
            return [(midnight, next_midnight)]
        kind = self.exceptions.get(local, "")
        if kind == "holiday":
            return []
        plan = self.week.get(local.isoweekday()) or []
        if not plan and kind in ("working", "short"):
            # A transferred working day works like the first working weekday.
            plan = next((self.week[d] for d in sorted(self.week) if self.week[d]), [])
        spans = [
            (
                datetime.combine(local, a, tzinfo=self.zone),
                next_midnight if b is None else datetime.combine(local, b, tzinfo=self.zone),
            )
            for a, b in plan
        ]
        if kind == "short" and spans:
            a, b = spans[-1]
            spans[-1] = (a, max(a, b - timedelta(hours=1)))
        return spans

    def _days_from(self, moment: datetime) -> Iterator[date]:
        local = moment.astimezone(self.zone).date()
        for offset in range(MAX_SEARCH_DAYS):
            yield local + timedelta(days=offset)

    def worked(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end)."""
        total = timedelta()
        if end <= start:
            return total
        last = end.astimezone(self.zone).date()
        for local in self._days_from(start):
            if local > last:
                break
            for a, b in self.day(local):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += hi - lo
        return total

    def reach(self, start: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of working time after `start`."""
        left = amount
        for local in self._days_from(start):
            for a, b in self.day(local):
                lo = max(a, start)
                if lo >= b:
                    continue
                if left <= b - lo:
                    return lo + left
                left -= b - lo
        raise ValueError("no working time within three years")


# --- one ticket's history -------------------------------------------------------------


@dataclass
class Policy:
    pk: int
    priority: int | None
    organization_id: int | None
    type: str
    first_response: timedelta | None
    resolution: timedelta | None
    pause_on_hold: bool
    hours: WorkingHours

    def matches(self, *, priority: int, type: str, organization_id: int | None) -> bool:
        return (
            (self.priority is None or self.priority == priority)
            and (self.organization_id is None or self.organization_id == organization_id)
            and (not self.type or self.type == type)
        )


@dataclass
class History:
    """What happened to one ticket, from its own rows."""

    ticket: Ticket
    statuses: list[tuple[datetime, str]] = field(default_factory=list)  # incl. creation
    # (when, priority, type) from creation on
    classes: list[tuple[datetime, int, str]] = field(default_factory=list)
    levels: list[tuple[datetime, str]] = field(default_factory=list)  # hops
    first_level: str = ""  # the level the first hop left
    desk_replies: list[datetime] = field(default_factory=list)  # first-response candidates
    reopens: int = 0


@dataclass
class Facts:
    """One ticket, recomputed."""

    number: int
    created_at: datetime
    priority: int
    type: str
    first_response_at: datetime | None = None
    first_response: timedelta | None = None
    solved_at: datetime | None = None  # the last solve, while solved or closed
    resolution: timedelta | None = None
    resolution_target: bool = False
    first_response_breached: bool = False
    resolution_breached: bool = False
    resolution_due: datetime | None = None
    replies: int = 0
    reopens: int = 0
    escalations: int = 0
    level_time: dict[str, timedelta] = field(default_factory=dict)
    minutes: int = 0
    cost: Decimal = Decimal("0.00")
    active_at_end: bool = False


def running(statuses: list[tuple[datetime, str]], *, pause_on_hold: bool) -> list[list[Any]]:
    """[start, end or None] of the spans while the SLA clock ran."""
    paused = {"pending", "on_hold"} if pause_on_hold else {"pending"}
    spans: list[list[Any]] = []
    for at, status in statuses:
        runs = status not in paused and status not in STOPPED
        open_span = bool(spans) and spans[-1][1] is None
        if runs and not open_span:
            spans.append([at, None])
        elif not runs and open_span:
            spans[-1][1] = at
    return spans


def clock_time(spans: list[list[Any]], hours: WorkingHours, until: datetime) -> timedelta:
    total = timedelta()
    for a, b in spans:
        end = until if b is None else min(b, until)
        total += hours.worked(a, end)
    return total


def due_moment(spans: list[list[Any]], hours: WorkingHours, target: timedelta) -> datetime | None:
    """When the clock reaches `target` if it runs on from its last span; None while it
    stands short of it."""
    left = target
    for a, b in spans:
        if b is None:
            return hours.reach(a, left)
        spent = hours.worked(a, b)
        if left <= spent:
            return hours.reach(a, left)
        left -= spent
    return None


def truncated(spans: list[list[Any]], end: datetime) -> list[list[Any]]:
    """The spans as the clock stood at `end` (left running then)."""
    kept: list[list[Any]] = []
    for a, b in spans:
        if a >= end:
            break
        kept.append([a, None if b is None or b >= end else b])
    return kept


class Recomputation:
    """Everything needed for a period, read once."""

    def __init__(self, start: datetime, end: datetime, *, now: datetime) -> None:
        self.start, self.end, self.now = start, end, now
        calendars: dict[int | None, WorkingHours] = {}
        default = BusinessCalendar.objects.filter(is_default=True).first()
        self.default_hours = WorkingHours(default)
        self.policies = []
        for p in (
            SlaPolicy.objects.filter(is_active=True)
            .select_related("calendar")
            .order_by("position", "id")
        ):
            if p.calendar_id not in calendars:
                calendars[p.calendar_id] = WorkingHours(p.calendar)
            self.policies.append(
                Policy(
                    pk=p.pk,
                    priority=p.priority,
                    organization_id=p.organization_id,
                    type=p.type,
                    first_response=_minutes(p.first_response_minutes),
                    resolution=_minutes(p.resolution_minutes),
                    pause_on_hold=p.pause_on_hold,
                    hours=calendars[p.calendar_id],
                )
            )

    def policy(self, ticket: Ticket, priority: int, type: str) -> Policy | None:
        return next(
            (
                p
                for p in self.policies
                if p.matches(priority=priority, type=type, organization_id=ticket.organization_id)
            ),
            None,
        )

    # -- reading ------------------------------------------------------------------

    def histories(self) -> dict[int, History]:
        """Tickets created before the end of the period or touched since its start."""
        changed = Event.objects.filter(
            kind=EventKind.STATUS, created_at__gte=self.start
        ).values_list("ticket_id", flat=True)
        tickets = Ticket.objects.filter(created_at__lt=self.end).select_related("requester")
        found = {t.pk: History(t) for t in tickets}
        for t in Ticket.objects.filter(pk__in=changed).exclude(pk__in=list(found)):
            found[t.pk] = History(t)
        seen_replies: dict[int, int] = {}
        kinds = [
            EventKind.CREATED,
            EventKind.STATUS,
            EventKind.PRIORITY,
            EventKind.TYPE,
            EventKind.LINE,
            EventKind.REPLY,
        ]
        events = (
            Event.objects.filter(ticket_id__in=list(found), kind__in=kinds)
            .order_by("created_at", "id")
            .values_list("ticket_id", "kind", "old", "new", "data", "created_at", "actor__role")
            .iterator()
        )
        for pk, kind, old, new, data, at, role in events:
            h = found[pk]
            t = h.ticket
            if kind == EventKind.CREATED:
                h.statuses.append((t.created_at, new))
                h.classes.append(
                    (t.created_at, CODES.get(data.get("priority"), t.priority), data.get("type"))
                )
            elif kind == EventKind.STATUS:
                h.statuses.append((max(at, t.created_at), new))
                if old in STOPPED and new not in STOPPED:
                    h.reopens += 1
            elif kind == EventKind.PRIORITY:
                last = h.classes[-1] if h.classes else (t.created_at, CODES[old], t.type)
                h.classes.append((at, CODES[new], last[2]))
            elif kind == EventKind.TYPE:
                last = h.classes[-1] if h.classes else (t.created_at, t.priority, old)
                h.classes.append((at, last[1], new))
            elif kind == EventKind.LINE:
                if not h.levels:
                    h.first_level = old
                h.levels.append((at, new))
            elif kind == EventKind.REPLY:
                seen_replies[pk] = seen_replies.get(pk, 0) + 1
                opening = seen_replies[pk] == 1 and at == t.created_at
                automated = bool((data or {}).get("automated"))
                if role in ("agent", "admin") and not automated and not opening:
                    h.desk_replies.append(at)
        return found

    def replies(self, ids: list[int]) -> dict[int, int]:
        """Public messages now on each ticket written by people of the desk (not the
        requester, not automation), merged-in ones included."""
        counts: dict[int, int] = defaultdict(int)
        rows = Message.objects.filter(
            ticket_id__in=ids, internal=False, automated=False
        ).values_list("ticket_id", "author_id", "author__role", "ticket__requester_id")
        for pk, author, role, requester in rows.iterator():
            if role in ("agent", "admin") and author != requester:
                counts[pk] += 1
        return counts

    def logged(self, ids: list[int]) -> dict[int, tuple[int, Decimal]]:
        sums: dict[int, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
        rows = TimeEntry.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "minutes", "rate_per_hour"
        )
        for pk, minutes, rate in rows.iterator():
            sums[pk][0] += minutes
            sums[pk][1] += Decimal(minutes) * rate / 60
        return {pk: (m, Decimal(c).quantize(Decimal("0.01"))) for pk, (m, c) in sums.items()}

    # -- per ticket ----------------------------------------------------------------

    def facts(self, h: History, replies: int, logged: tuple[int, Decimal]) -> Facts:
        t = h.ticket
        statuses = h.statuses or [(t.created_at, t.status)]
        classes = h.classes or [(t.created_at, t.priority, t.type)]
        policy = self.policy(t, t.priority, t.type)
        hours = policy.hours if policy else self.default_hours
        spans = running(statuses, pause_on_hold=bool(policy and policy.pause_on_hold))
        f = Facts(number=t.number, created_at=t.created_at, priority=t.priority, type=t.type)
        f.replies, f.reopens = replies, h.reopens
        f.minutes, f.cost = logged
        if h.desk_replies:
            f.first_response_at = min(h.desk_replies)
            f.first_response = clock_time(
                truncated(spans, f.first_response_at), hours, f.first_response_at
            )
        current = statuses[-1][1]
        stopped_at = statuses[-1][0] if current in STOPPED else None
        solves = [at for at, status in statuses if status == "solved"]
        if current in STOPPED and solves:
            f.solved_at = solves[-1]
            f.resolution = clock_time(truncated(spans, f.solved_at), hours, f.solved_at)
        # The clock stopped at the last solve (or the close of a merged ticket).
        stop = f.solved_at or stopped_at
        if policy and policy.resolution:
            f.resolution_target = True
            clock = truncated(spans, stop) if stop else spans
            f.resolution_due = due_moment(clock, hours, policy.resolution)
        f.first_response_breached, f.resolution_breached = self.breaches(h, statuses, classes)
        f.resolution_target = f.resolution_target or f.resolution_breached
        f.escalations, f.level_time = self.levels(h, statuses)
        f.active_at_end = t.created_at < self.end and _status_at(statuses, self.end) not in STOPPED
        return f

    def breaches(
        self,
        h: History,
        statuses: list[tuple[datetime, str]],
        classes: list[tuple[datetime, int, str]],
    ) -> tuple[bool, bool]:
        """Whether a due moment ever passed while its target was unmet, under the
        policy in force at that moment (the priority and type of that time)."""
        t = h.ticket
        responded = min(h.desk_replies) if h.desk_replies else None
        first = resolution = False
        for i, (begin, priority, kind) in enumerate(classes):
            finish = classes[i + 1][0] if i + 1 < len(classes) else self.now
            policy = self.policy(t, priority, kind)
            if policy is None:
                continue
            spans = running(statuses, pause_on_hold=policy.pause_on_hold)
            if policy.first_response and (responded is None or begin <= responded):
                until = finish if responded is None else min(finish, responded)
                first = first or clock_time(spans, policy.hours, until) > policy.first_response
            unmet = _status_at(statuses, begin) not in STOPPED or any(
                begin < at <= finish and status not in STOPPED for at, status in statuses
            )
            if policy.resolution and unmet:
                late = clock_time(spans, policy.hours, finish) > policy.resolution
                resolution = resolution or late
        return first, resolution

    def levels(
        self, h: History, statuses: list[tuple[datetime, str]]
    ) -> tuple[int, dict[str, timedelta]]:
        """Upward hops, and wall-clock time on each level while not solved or closed."""
        # The level a ticket started on is the one its first hop left.
        level = h.first_level or str(h.ticket.line)
        moments = sorted(
            [(at, "status", s) for at, s in statuses] + [(at, "level", lv) for at, lv in h.levels],
            key=lambda x: x[0],
        )
        spent: dict[str, timedelta] = defaultdict(timedelta)
        escalations = 0
        running_since: datetime | None = None
        status = statuses[0][1]
        for at, what, value in moments:
            if running_since is not None:
                spent[level] += at - running_since
                running_since = at
            if what == "status":
                status = value
            else:
                if value in LEVEL_ORDER and LEVEL_ORDER.index(value) > LEVEL_ORDER.index(level):
                    escalations += 1
                level = value
            running_since = at if status not in STOPPED else None
        if running_since is not None:
            spent[level] += self.now - running_since
        return escalations, dict(spent)


def _minutes(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def _status_at(statuses: list[tuple[datetime, str]], moment: datetime) -> str:
    current = statuses[0][1]
    for at, status in statuses:
        if at >= moment:
            break
        current = status
    return current


# --- the KPIs -------------------------------------------------------------------------


def _hours(total: timedelta, n: int) -> float | None:
    return None if not n else round(total.total_seconds() / n / 3600, 2)


def _mean_hours(durations: list[timedelta | None]) -> float | None:
    known = [d for d in durations if d is not None]
    return _hours(sum(known, timedelta()), len(known))


def _pct(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


@dataclass
class Result:
    values: dict[str, Any]
    # KPI key -> numbers of the tickets that make it up (to name them in a difference)
    tickets: dict[str, list[int]]
    facts: dict[int, Facts]


def recompute(start: datetime, end: datetime, *, now: datetime) -> Result:
    """Every KPI of docs/kpi.md for [start, end), from the raw rows."""
    work = Recomputation(start, end, now=now)
    histories = work.histories()
    ids = list(histories)
    replies = work.replies(ids)
    logged = work.logged(ids)
    facts = {
        pk: work.facts(h, replies.get(pk, 0), logged.get(pk, (0, Decimal("0.00"))))
        for pk, h in histories.items()
    }

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    created = [f for f in facts.values() if within(f.created_at)]
    answered = [f for f in facts.values() if within(f.first_response_at)]
    solved = [f for f in facts.values() if within(f.solved_at)]
    targeted = [f for f in solved if f.resolution_target]
    on_time = [f for f in targeted if not f.resolution_breached and not f.first_response_breached]
    fcr = [f for f in solved if f.replies == 1 and f.reopens == 0 and f.escalations == 0]
    escalated = [f for f in solved if f.escalations > 0]
    incidents = [f for f in solved if f.type == "incident"]
    incidents_logged = [f for f in incidents if f.minutes > 0]
    backlog = [f for f in facts.values() if f.active_at_end]
    overdue = [f for f in backlog if f.resolution_due is not None and f.resolution_due < end]
    cost = sum((f.cost for f in solved), Decimal("0.00"))

    values: dict[str, Any] = {
        "nst": len(created),
        "first_responses": len(answered),
        "afrt_hours": _mean_hours([f.first_response for f in answered]),
        "solved": len(solved),
        "art_hours": _mean_hours([f.resolution for f in solved]),
        "on_time_rate": _pct(len(on_time), len(targeted)),
        "fcr_rate": _pct(len(fcr), len(solved)),
        "escalation_rate": _pct(len(escalated), len(solved)),
        "solved_incidents": len(incidents),
        "incidents_with_time_rate": _pct(len(incidents_logged), len(incidents)),
        "ntb": len(backlog),
        "ntb_overdue": len(overdue),
        "cost_total": str(cost.quantize(Decimal("0.01"))),
        "cost_per_ticket": str((cost / len(solved)).quantize(Decimal("0.01"))) if solved else None,
        "logged_minutes": sum(f.minutes for f in solved),
    }
    numbers: dict[str, list[int]] = {
        "nst": [f.number for f in created],
        "first_responses": [f.number for f in answered],
        "afrt_hours": [f.number for f in answered],
        "solved": [f.number for f in solved],
        "art_hours": [f.number for f in solved],
        "on_time_rate": [f.number for f in targeted],
        "fcr_rate": [f.number for f in solved],
        "escalation_rate": [f.number for f in solved],
        "solved_incidents": [f.number for f in incidents],
        "incidents_with_time_rate": [f.number for f in incidents],
        "ntb": [f.number for f in backlog],
        "ntb_overdue": [f.number for f in overdue],
        "cost_total": [f.number for f in solved],
        "cost_per_ticket": [f.number for f in solved],
        "logged_minutes": [f.number for f in solved],
    }
    for level in LEVEL_ORDER:
        spent = [f.level_time[level] for f in solved if f.level_time.get(level)]
        values[f"hours_per_line.{level}"] = _hours(sum(spent, timedelta()), len(spent))
        numbers[f"hours_per_line.{level}"] = [f.number for f in solved if f.level_time.get(level)]
    for p in Priority:
        key = f"solved_by_priority.{p.name.lower()}"
        values[key] = sum(1 for f in solved if f.priority == p.value)
        numbers[key] = [f.number for f in solved if f.priority == p.value]
    values.update(_csat(start, end))
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for f in created:
        days[f.created_at.astimezone(UTC).date()][0] += 1
    for f in solved:
        assert f.solved_at is not None
        days[f.solved_at.astimezone(UTC).date()][1] += 1
    day = start.astimezone(UTC).date()
    while datetime.combine(day, time(0), tzinfo=UTC) < end:
        values[f"trend.{day.isoformat()}"] = tuple(days.get(day, [0, 0]))
        day += timedelta(days=1)
    return Result(values, numbers, {f.number: f for f in facts.values()})


def _csat(start: datetime, end: datetime) -> dict[str, Any]:
    scores = list(
        Rating.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "score", flat=True
        )
    )
    asked = RatingRequest.objects.filter(sent_at__gte=start, sent_at__lt=end).count()
    values: dict[str, Any] = {
        "csat_ratings": len(scores),
        "csat_average": round(sum(scores) / len(scores), 2) if scores else None,
        "csat_response_rate": _pct(len(scores), asked),
    }
    for score in range(1, 6):
        values[f"csat_distribution.{score}"] = scores.count(score)
    return values


# --- comparing with the reports -------------------------------------------------------


def flatten(report: dict[str, Any]) -> dict[str, Any]:
    """The report's values under the keys `recompute` uses."""
    flat: dict[str, Any] = {}
    for key, value in report.items():
        if key == "trend":
            for row in value:
                flat[f"trend.{row['day']}"] = (row["created"], row["solved"])
        elif isinstance(value, dict):
            for sub, v in value.items():
                flat[f"{key}.{sub}"] = v
        else:
            flat[key] = value
    return flat


@dataclass(frozen=True)
class Difference:
    kpi: str
    report: Any
    recomputed: Any
    tickets: tuple[int, ...]


def _agree(key: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if key.startswith("hours_per_line.") or key in ("afrt_hours", "art_hours"):
        return abs(float(a) - float(b)) <= HOURS_TOLERANCE
    return bool(a == b)


def compare(report: dict[str, Any], result: Result, *, suspects: Any = None) -> list[Difference]:
    """The KPIs on which the report and the recomputation differ. `suspects(key,
    facts)`: the tickets to name for a KPI (by default, the first ones behind it)."""
    flat = flatten(report)
    found = []
    for key in sorted(set(flat) | set(result.values)):
        a, b = flat.get(key), result.values.get(key)
        if _agree(key, a, b):
            continue
        named: Iterable[int] = ()
        if suspects is not None:
            named = suspects(key, result)
        if not named:
            named = result.tickets.get(key, [])
        found.append(Difference(key, a, b, tuple(sorted(named)[:5])))
    return found


# Per ticket, what the SLA row says against what the recomputation found: read only
# after the recomputation, to name the tickets behind a difference.
_CHECKS: dict[str, tuple[str, ...]] = {
    "nst": ("created_at",),
    "first_responses": ("first_response_at",),
    "afrt_hours": ("first_response_at", "first_response_minutes"),
    "solved": ("solved_at",),
    "art_hours": ("solved_at", "resolution_minutes"),
    "on_time_rate": ("solved_at", "first_response_breached", "resolution_breached"),
    "fcr_rate": ("solved_at", "replies", "reopens", "escalated"),
    "escalation_rate": ("solved_at", "escalated"),
    "solved_incidents": ("solved_at", "type"),
    "incidents_with_time_rate": ("solved_at", "type", "minutes"),
    "cost_total": ("solved_at", "cost"),
    "cost_per_ticket": ("solved_at", "cost"),
    "logged_minutes": ("solved_at", "minutes"),
}


def _facts_view(f: Facts) -> dict[str, Any]:
    view: dict[str, Any] = {
        "created_at": f.created_at,
        "first_response_at": f.first_response_at,
        "first_response_minutes": None
        if f.first_response is None
        else round(f.first_response.total_seconds() / 60),
        "solved_at": f.solved_at,
        "resolution_minutes": None
        if f.resolution is None
        else round(f.resolution.total_seconds() / 60),
        "first_response_breached": f.first_response_breached,
        "resolution_breached": f.resolution_breached,
        "replies": f.replies,
        "reopens": f.reopens,
        "escalated": f.escalations > 0,
        "type": f.type,
        "priority": f.priority,
        "minutes": f.minutes,
        "cost": f.cost,
    }
    for level in LEVEL_ORDER:
        view[f"line.{level}"] = round(f.level_time.get(level, timedelta()).total_seconds() / 60)
    return view


def _row_view(row: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "created_at": row.created_at,
        "first_response_at": row.first_response_at,
        "first_response_minutes": None
        if row.first_response_seconds is None
        else round(row.first_response_seconds / 60),
        "solved_at": row.solved_at,
        "resolution_minutes": None
        if row.resolution_seconds is None
        else round(row.resolution_seconds / 60),
        "first_response_breached": bool(row.first_response_breached),
        "resolution_breached": bool(row.resolution_breached),
        "replies": row.agent_replies,
        "reopens": row.reopens,
        "escalated": row.escalations > 0,
        "type": row.type,
        "priority": row.priority,
        "minutes": row.logged_minutes,
        "cost": row.logged_cost,
    }
    spent = {
        "1": row.line1_seconds,
        "2": row.line2_seconds,
        "3": row.line3_seconds,
        "lead": row.lead_seconds,
    }
    for level in LEVEL_ORDER:
        view[f"line.{level}"] = round(spent[level] / 60)
    return view


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
        return abs(a - b) <= 1  # minutes
    return bool(a == b)


def sla_suspects(key: str, result: Result) -> list[int]:
    """Tickets whose SLA row disagrees with the recomputation on what `key` reads."""
    from opora.sla.models import TicketSla  # only to explain a difference, see above

    if key.startswith("hours_per_line."):
        names: tuple[str, ...] = ("solved_at", f"line.{key.split('.', 1)[1]}")
    elif key.startswith(("solved_by_priority.", "trend.")):
        names = ("created_at", "solved_at", "priority")
    else:
        names = _CHECKS.get(key, ())
    if not names:
        return []
    rows = TicketSla.objects.filter(ticket__number__in=list(result.facts)).select_related("ticket")
    found = []
    for row in rows.iterator():
        mine = _facts_view(result.facts[row.ticket.number])
        theirs = _row_view(row)
        if any(not _close(mine[n], theirs[n]) for n in names):
            found.append(row.ticket.number)
    return found
