"""A ticket's SLA clock, recomputed from its status history whenever the ticket changes.

`SlaClock` is the clock the ticket actions call (see tickets/clock.py, registered in
`SlaConfig.ready()`) inside the transaction that changed the ticket (the ticket row is
locked), so due dates never disagree with the status: a pause stops the clock in the
same commit that set "pending".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q, QuerySet

from opora.accounts.models import Organization, User
from opora.core.bulk import copy_rows, update_rows
from opora.sla import config
from opora.sla.calendar import Hours
from opora.sla.models import SlaPolicy, SlaState, TicketSla
from opora.tickets.models import Event, EventKind, Message, Ticket, TicketStatus, TimeEntry

STOPPED = frozenset({TicketStatus.SOLVED, TicketStatus.CLOSED})
LEVELS = ("1", "2", "3", "lead")


def _applies(policy: SlaPolicy, ticket: Ticket) -> bool:
    # Empty criteria match every ticket.
    return (
        (policy.priority is None or policy.priority == ticket.priority)
        and (policy.organization_id is None or policy.organization_id == ticket.organization_id)
        and (not policy.type or policy.type == ticket.type)
    )


def match_policy(ticket: Ticket, policies: list[SlaPolicy]) -> SlaPolicy | None:
    """The first active policy (by position) whose non-empty criteria all match."""
    return next((p for p in policies if _applies(p, ticket)), None)


class ContractTerms(NamedTuple):
    """What a contract promises the SLA clock: a policy, support hours (a business
    calendar), until a last day (None: no end)."""

    policy_id: int | None
    calendar_id: int | None
    until: date | None


@dataclass
class SlaInputs:
    """What the clock reads: the policies and calendars in force (kept per process, see
    sla/config.py) and, for tickets read together (`read_tickets`, bulk intake), their SLA
    rows and histories."""

    configuration: config.Configuration
    rows: dict[int, TicketSla] = field(default_factory=dict)
    history: dict[int, list[tuple[datetime, str]]] = field(default_factory=dict)
    # ticket id -> (created_at, author id) of its latest public message
    last_public: dict[int, tuple[datetime, int | None]] = field(default_factory=dict)
    # New tickets: the contracts of their requesters and organizations, by id
    # (`read_contracts`).
    customer_contracts: dict[int, ContractTerms] = field(default_factory=dict)
    organization_contracts: dict[int, ContractTerms] = field(default_factory=dict)

    @classmethod
    def load(cls) -> SlaInputs:
        return cls(config.configuration())

    def read_tickets(
        self, ticket_ids: list[int], *, last_public: dict[int, tuple[datetime, int | None]]
    ) -> None:
        """Read the SLA rows and status histories of these tickets (two queries).

        `last_public`: each ticket's latest public message, known to the caller (who
        just wrote it). Precondition: the tickets are locked, their events written.
        """
        self.rows.update(
            (r.ticket_id, r) for r in TicketSla.objects.filter(ticket_id__in=ticket_ids)
        )
        for pk in ticket_ids:
            self.history[pk] = []
        for pk, at, status in _status_history(Event.objects.filter(ticket_id__in=ticket_ids)):
            self.history[pk].append((at, status))
        self.last_public.update(last_public)

    def hours(self, policy: SlaPolicy | None, calendar_id: int | None = None) -> Hours:
        return config.hours(self.configuration, policy, calendar_id)

    def read_contracts(self, tickets: Sequence[Ticket]) -> None:
        """The contracts of new tickets' requesters and organizations (two queries, none
        while no contract names a policy or support hours). crm writes them onto the
        accounts' rows, so the clock reads them without knowing crm."""
        if not self.configuration.any_contract:
            return
        named = Q(contract_policy_id__isnull=False) | Q(contract_calendar_id__isnull=False)
        columns = ("pk", "contract_policy_id", "contract_calendar_id", "contract_expires_on")
        people = {t.requester_id for t in tickets}
        companies = {t.organization_id for t in tickets if t.organization_id is not None}
        self.customer_contracts.update(
            (pk, ContractTerms(*terms))
            for pk, *terms in User.objects.filter(named, pk__in=people).values_list(*columns)
        )
        if companies:
            self.organization_contracts.update(
                (pk, ContractTerms(*terms))
                for pk, *terms in Organization.objects.filter(named, pk__in=companies).values_list(
                    *columns
                )
            )

    def contract(self, ticket: Ticket) -> ContractTerms | None:
        """The requester's own contract (else their organization's) in force on the day
        the ticket opens; None when there is none or it expired, and the ticket's
        policy is then matched, and its hours taken, as for anyone."""
        found = self.customer_contracts.get(ticket.requester_id)
        if found is None and ticket.organization_id is not None:
            found = self.organization_contracts.get(ticket.organization_id)
        if found is None or (found.until is not None and found.until < ticket.created_at.date()):
            return None
        return found

    def policy_by_id(self, policy_id: int | None) -> SlaPolicy | None:
        return next((p for p in self.configuration.policies if p.pk == policy_id), None)


def _status_history(events: QuerySet[Event]) -> QuerySet[Event, tuple[int, datetime, str]]:
    """(ticket id, when, new status) of each creation and status move, in order."""
    return (
        events.filter(kind__in=[EventKind.CREATED, EventKind.STATUS])
        .order_by("created_at", "id")
        .values_list("ticket_id", "created_at", "new")
    )


@dataclass
class Timeline:
    """Intervals during which the clock ran, the last one open when it runs now."""

    running: list[tuple[datetime, datetime | None]]

    @classmethod
    def of(
        cls,
        ticket: Ticket,
        *,
        pause_on_hold: bool,
        until: datetime,
        history: list[tuple[datetime, str]],
    ) -> Timeline:
        """`history`: the ticket's (when, status) changes, read by `SlaInputs.read_tickets`
        (empty for a ticket opened in this transaction: it has one status so far)."""
        paused = {TicketStatus.PENDING} | ({TicketStatus.ON_HOLD} if pause_on_hold else set())
        changes = list(history)
        if not changes:
            changes = [(ticket.created_at, ticket.status)]
        running: list[tuple[datetime, datetime | None]] = []
        start: datetime | None = None
        for at, status in changes:
            at = max(at, ticket.created_at)
            runs = status not in paused and status not in STOPPED
            if runs and start is None:
                start = at
            elif not runs and start is not None:
                running.append((start, at))
                start = None
        if start is not None:
            running.append((start, None))
        return cls([(a, b) for a, b in running if a <= until])

    def cut(self, end: datetime) -> Timeline:
        """The clock as it stood at `end` (e.g. the first reply), still running then."""
        kept: list[tuple[datetime, datetime | None]] = []
        for a, b in self.running:
            if a >= end:
                break
            kept.append((a, None) if b is None or b >= end else (a, b))
        return Timeline(kept)

    def elapsed(self, hours: Hours, now: datetime) -> float:
        return sum(hours.between(a, b or now) for a, b in self.running)

    def moment(self, hours: Hours, seconds: float) -> datetime | None:
        """When the clock reaches `seconds`; None while paused short of it."""
        remaining = seconds
        for a, b in self.running:
            if b is None:
                return hours.add(a, remaining)
            spent = hours.between(a, b)
            if remaining <= spent:
                return hours.add(a, remaining)
            remaining -= spent
        return None


def warning_share() -> float:
    return float(settings.SLA_WARNING_SHARE)


SLA_FIELDS = tuple(f.name for f in TicketSla._meta.concrete_fields if not f.primary_key)


def compute_sla(
    ticket: Ticket,
    *,
    now: datetime,
    inputs: SlaInputs,
    new: bool = False,
    time_logged: bool = True,
) -> tuple[TicketSla, list[str]]:
    """The ticket's SLA row, recomputed but not saved, and the Ticket fields changed.

    `new`: the ticket was opened in this transaction (no SLA row, history or logged
    time yet), which saves the reads a later change needs. `time_logged=False`: the
    change did not touch logged time, so the row's totals stand (time tracking and
    merges recount them). `inputs`: the configuration and, for a ticket that is not
    new, its SLA row (if it has one), history and latest public message, read for all
    tickets at once (`SlaInputs.read_tickets`).
    """
    if new:
        sla = TicketSla(ticket=ticket, level=str(ticket.line), level_since=ticket.created_at)
        created = True
    elif ticket.pk in inputs.rows:
        sla, created = inputs.rows[ticket.pk], False
    else:
        sla, created = TicketSla.objects.get_or_create(
            ticket=ticket, defaults={"level": str(ticket.line), "level_since": ticket.created_at}
        )
    # A contract's policy and support hours are chosen when the ticket opens and kept
    # for its life (the policy while it is active).
    if new:
        terms = inputs.contract(ticket)
        contracted = inputs.policy_by_id(terms.policy_id) if terms else None
        sla.calendar_id = terms.calendar_id if terms else None
    elif sla.by_contract:
        contracted = inputs.policy_by_id(sla.policy_id)
    else:
        contracted = None
    policy = contracted or match_policy(ticket, inputs.configuration.policies)
    sla.by_contract = contracted is not None
    hours = inputs.hours(policy, sla.calendar_id)
    timeline = Timeline.of(
        ticket,
        pause_on_hold=bool(policy and policy.pause_on_hold),
        until=now,
        history=[] if new else inputs.history[ticket.pk],
    )
    share = warning_share()
    dues: list[datetime] = []
    warns: list[datetime] = []
    # The due moments as they stood before this change (computed under the policy
    # then in force): one that passed while its target was unmet is a breach, and a
    # breach stays one whatever comes later (a solve, a merge, a new priority).
    # (While solved the resolution due date only shows when it was met: it cannot lapse.)
    lapsed = _Lapsed(
        first=None if new else ticket.first_response_due_at,
        resolution=None if new or sla.solved_at is not None else ticket.resolution_due_at,
        now=now,
    )

    first_due = None
    responded = ticket.first_response_at
    first_clock = timeline.cut(responded) if responded else timeline
    if responded is not None:
        sla.first_response_seconds = round(first_clock.elapsed(hours, responded))
    if policy and policy.first_response_minutes is not None:
        target = policy.first_response_minutes * 60
        first_due = first_clock.moment(hours, target)
        frozen = responded is not None and responded < now and not new
        if frozen and sla.first_response_breached is not None:
            pass  # answered before this change: its verdict was given then
        else:
            late = first_clock.elapsed(hours, responded or now) > target
            met = responded is not None
            sla.first_response_breached = _verdict(
                bool(sla.first_response_breached) or lapsed.first_missed(responded) or late,
                met=met,
            )
            if not met and ticket.status not in STOPPED:
                _collect(first_clock, hours, target, share, first_due, dues, warns)
    elif not sla.first_response_breached:
        sla.first_response_breached = None

    resolution_due = None
    solved = ticket.solved_at if ticket.status in STOPPED else None
    # A ticket closed without a solve (merged into another) stopped its clock then.
    stopped = (solved or ticket.closed_at) if ticket.status in STOPPED else None
    if solved is not None:
        sla.resolution_seconds = round(timeline.cut(solved).elapsed(hours, solved))
    else:
        sla.resolution_seconds = None
    if policy and policy.resolution_minutes is not None:
        target = policy.resolution_minutes * 60
        clock = timeline.cut(stopped) if stopped else timeline
        resolution_due = clock.moment(hours, target)
        frozen = stopped is not None and stopped < now and not new
        if frozen and sla.resolution_breached is not None:
            pass  # stopped before this change: its verdict was given then
        else:
            late = clock.elapsed(hours, stopped or now) > target
            sla.resolution_breached = _verdict(
                bool(sla.resolution_breached) or lapsed.resolution_missed(stopped) or late,
                met=solved is not None,
            )
            if stopped is None:
                _collect(clock, hours, target, share, resolution_due, dues, warns)
    elif not sla.resolution_breached:
        sla.resolution_breached = None

    sla.next_response_due_at = None
    if policy and policy.next_response_minutes is not None and responded is not None:
        asked = _unanswered_since(ticket, inputs.last_public)
        if asked is not None:
            target = policy.next_response_minutes * 60
            sla.next_response_due_at = hours.add(asked, target)
            dues.append(sla.next_response_due_at)
            warns.append(hours.add(asked, target * share))

    if ticket.status in STOPPED:
        _count_contacts(sla, ticket)
    # A row made just now for an older ticket must count the time logged on it before.
    recount = not new and (time_logged or created)
    _copy_dimensions(sla, ticket, solved, logged=recount)
    sla.policy = policy
    sla.paused = ticket.status not in STOPPED and not any(b is None for _, b in timeline.running)
    sla.due_at = min(dues) if dues else None
    sla.warn_at = min(warns) if warns else None
    sla.state = _state(sla, now)
    _track_level(sla, ticket, now)
    sla.updated_at = now

    fields = []
    if ticket.first_response_due_at != first_due:
        ticket.first_response_due_at = first_due
        fields.append("first_response_due_at")
    if ticket.resolution_due_at != resolution_due:
        ticket.resolution_due_at = resolution_due
        fields.append("resolution_due_at")
    return sla, fields


class SlaClock:
    """The SLA clock of `tickets.clock.Clock`: policies, business hours, pauses."""

    def start(self, tickets: Sequence[Ticket]) -> Callable[[], None]:
        inputs = SlaInputs.load()
        inputs.read_contracts(tickets)
        rows = [compute_sla(t, now=t.created_at, new=True, inputs=inputs)[0] for t in tickets]

        def write() -> None:
            copy_rows(TicketSla, rows)

        return write

    def recompute(
        self,
        tickets: Sequence[Ticket],
        *,
        at: Mapping[int, datetime],
        time_logged: bool = True,
        last_public: Mapping[int, tuple[datetime, int | None]] | None = None,
    ) -> dict[int, list[str]]:
        inputs = SlaInputs.load()
        inputs.read_tickets([t.pk for t in tickets], last_public=dict(last_public or {}))
        rows = []
        changed: dict[int, list[str]] = {}
        for ticket in tickets:
            sla, fields = compute_sla(
                ticket, now=at[ticket.pk], time_logged=time_logged, inputs=inputs
            )
            rows.append(sla)
            changed[ticket.pk] = fields
        # Each row exists (read above, or made by compute_sla): one plain UPDATE.
        update_rows(TicketSla, rows, SLA_FIELDS)
        return changed


def _collect(
    clock: Timeline,
    hours: Hours,
    target: float,
    share: float,
    due: datetime | None,
    dues: list[datetime],
    warns: list[datetime],
) -> None:
    if due is None:  # paused: nothing can fall due until it runs again
        return
    dues.append(due)
    warn = clock.moment(hours, target * share)
    if warn is not None:
        warns.append(warn)


@dataclass(frozen=True)
class _Lapsed:
    """The due moments before a change, to see whether one passed unmet since."""

    first: datetime | None
    resolution: datetime | None
    now: datetime

    def first_missed(self, responded: datetime | None) -> bool:
        due = self.first
        return due is not None and due < self.now and (responded is None or responded > due)

    def resolution_missed(self, stopped: datetime | None) -> bool:
        due = self.resolution
        return due is not None and due < self.now and (stopped is None or stopped > due)


def _verdict(breached: bool, *, met: bool) -> bool | None:
    """True: breached (for good); False: met in time; None: not decided (still running,
    or the ticket stopped without meeting the target before it fell due)."""
    if breached:
        return True
    return False if met else None


def _unanswered_since(
    ticket: Ticket, known: dict[int, tuple[datetime, int | None]]
) -> datetime | None:
    """When the customer's latest public message arrived, if no agent answered it yet.

    `known`: latest public messages by ticket id, already read."""
    if ticket.status in STOPPED or ticket.status == TicketStatus.PENDING:
        return None
    last = known.get(ticket.pk) or (
        Message.objects.filter(ticket=ticket, internal=False)
        .order_by("-created_at", "-id")
        .values_list("created_at", "author_id")
        .first()
    )
    if last is None or last[1] != ticket.requester_id:
        return None
    if ticket.first_response_at is None or last[0] <= ticket.first_response_at:
        return None
    return last[0]


def _copy_dimensions(
    sla: TicketSla, ticket: Ticket, solved: datetime | None, *, logged: bool = True
) -> None:
    sla.created_at = ticket.created_at
    sla.first_response_at = ticket.first_response_at
    sla.solved_at = solved
    sla.team_id = ticket.team_id
    sla.assignee_id = ticket.assignee_id
    sla.organization_id = ticket.organization_id
    sla.channel = ticket.channel
    sla.priority = ticket.priority
    sla.type = ticket.type
    if not logged:  # nothing logged since the totals were last counted
        return
    # Summed here in Decimal: SQLite keeps a whole-number rate as an integer and would
    # divide minutes times rate by 60 as integers, dropping the kopecks of every entry.
    entries = TimeEntry.objects.filter(ticket=ticket).values_list("minutes", "rate_per_hour")
    minutes = cost = Decimal(0)
    for spent, rate in entries:
        minutes += spent
        cost += Decimal(spent) * Decimal(rate) / 60
    sla.logged_minutes = int(minutes)
    sla.logged_cost = cost.quantize(Decimal("0.01"))


def _count_contacts(sla: TicketSla, ticket: Ticket) -> None:
    """Public replies by people of the desk (automated messages are no one's reply),
    including those merged in from duplicates, and reopenings: for FCR."""
    sla.agent_replies = min(
        32767,
        Message.objects.filter(
            ticket=ticket, internal=False, automated=False, author__role__in=["agent", "admin"]
        )
        .exclude(author_id=ticket.requester_id)
        .count(),
    )
    sla.reopens = min(
        32767,
        Event.objects.filter(
            ticket=ticket, kind=EventKind.STATUS, old__in=list(STOPPED), new=TicketStatus.OPEN
        ).count(),
    )


def _state(sla: TicketSla, now: datetime) -> str:
    if sla.first_response_breached or sla.resolution_breached:
        return SlaState.BREACHED
    if sla.due_at is not None and sla.due_at <= now:
        return SlaState.BREACHED
    if sla.paused:
        return SlaState.PAUSED
    if sla.warn_at is not None and sla.warn_at <= now:
        return SlaState.AT_RISK
    return SlaState.OK


def _track_level(sla: TicketSla, ticket: Ticket, now: datetime) -> None:
    """Close the time on the previous level when the line moved, or the ticket stopped."""
    if sla.level != "lead" and sla.level != str(ticket.line):
        move_level(sla, str(ticket.line), now)
    if ticket.status in STOPPED:
        _close_level(sla, now)
    elif sla.level_since is None:
        sla.level_since = now


def _close_level(sla: TicketSla, now: datetime) -> None:
    if sla.level_since is not None:
        spent = max(0, round((now - sla.level_since).total_seconds()))
        name = "lead_seconds" if sla.level == "lead" else f"line{sla.level}_seconds"
        setattr(sla, name, getattr(sla, name) + spent)
        sla.level_since = None


def move_level(sla: TicketSla, level: str, now: datetime) -> None:
    """Account the time on the current level and move to another; upward moves count."""
    if level == sla.level:
        return
    _close_level(sla, now)
    if LEVELS.index(level) > LEVELS.index(sla.level):
        sla.escalations += 1
    sla.level = level
    sla.level_since = now
