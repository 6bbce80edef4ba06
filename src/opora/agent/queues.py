"""The workspace's named queues, their counts (one query, cached until a ticket changes),
list filters from a URL, the cursor pager, and each row's SLA cell (the next due target,
as the ticket page shows it)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.tuple_lookups import (  # type: ignore[import-untyped]
    Tuple,
    TupleGreaterThan,
    TupleLessThan,
)
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Organization, Team, User
from opora.core.numbers import parse_id
from opora.sla.models import SlaState, TicketSla
from opora.sla.selectors import sla_state, sla_targets
from opora.tickets.counters import Counted, agent_key, counted
from opora.tickets.models import ACTIVE_STATUSES, Priority, Ticket, TicketStatus, TicketType
from opora.tickets.selectors import TicketFilter, due_sort_key, led_team_ids, visible_tickets

RECENTLY_SOLVED_DAYS = 7


def _my_teams(user: User) -> Q:
    # Admins triage for everyone; agents see the unassigned work of their own teams
    # and tickets no team has picked up yet.
    if user.is_admin:
        return Q()
    member_of = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    return Q(team__isnull=True) | Q(team_id__in=member_of)


def _active() -> Q:
    """The open statuses, written into the SQL (`core.lookups`: SQLite then uses the
    partial index of open tickets)."""
    return Q(status__in_words=ACTIVE_STATUSES)


def _recent() -> Q:
    since = timezone.now() - timedelta(days=RECENTLY_SOLVED_DAYS)
    return Q(status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED), updated_at__gte=since)


def _breached() -> Q:
    # As the ticket page's badge (sla.selectors.sla_state): a breach shows whatever came later.
    return Q(sla__first_response_breached=True) | Q(sla__resolution_breached=True)


def _at_risk() -> Q:
    return Q(sla__state=SlaState.AT_RISK, sla__paused=False) & ~_breached()


def _escalated_to(user: User) -> Q:
    """A team lead: tickets at the lead level in their teams; an agent on line 2 or 3:
    tickets escalated to that line (in their teams or none); nobody else."""
    active = Q(status__in_words=ACTIVE_STATUSES, sla__escalations__gt=0)
    if user.is_team_lead:
        mine = Q(team_id__in=led_team_ids(user)) | Q(assignee_id=user.pk)
        return active & Q(sla__level="lead") & mine
    if user.support_line in (2, 3):
        line = user.support_line
        return active & Q(line=line, sla__level=str(line)) & _my_teams(user)
    return Q(pk__in=[])


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    condition: Callable[[User], Q]
    group: str = "status"


QUEUES: list[Queue] = [
    Queue("mine", _("My open tickets"), lambda u: Q(assignee_id=u.pk) & _active()),
    Queue(
        "unassigned",
        _("Unassigned"),
        lambda u: Q(assignee__isnull=True, status__in_words=ACTIVE_STATUSES) & _my_teams(u),
    ),
    Queue("open", _("All open"), lambda u: Q(status__in_words=ACTIVE_STATUSES)),
    Queue("pending", _("Pending"), lambda u: Q(status=TicketStatus.PENDING)),
    Queue("on_hold", _("On hold"), lambda u: Q(status=TicketStatus.ON_HOLD)),
    Queue("solved", _("Recently solved"), lambda u: _recent()),
    Queue("at_risk", _("At risk"), lambda u: _active() & _at_risk(), "sla"),
    Queue("breached", _("Breached"), lambda u: _active() & _breached(), "sla"),
    Queue("escalated", _("Escalated to me"), _escalated_to, "sla"),
    Queue("line1", _("1st line"), lambda u: Q(line=1, status__in_words=ACTIVE_STATUSES), "line"),
    Queue("line2", _("2nd line"), lambda u: Q(line=2, status__in_words=ACTIVE_STATUSES), "line"),
    Queue("line3", _("3rd line"), lambda u: Q(line=3, status__in_words=ACTIVE_STATUSES), "line"),
]
QUEUES_BY_KEY = {q.key: q for q in QUEUES}
DEFAULT_QUEUE = "mine"


def _count_queues(user: User) -> dict[str, int]:
    counts = visible_tickets(user).aggregate(
        **{q.key: Count("id", filter=q.condition(user)) for q in QUEUES}
    )
    return {key: int(value or 0) for key, value in counts.items()}


def queue_counts_of(user: User) -> Counted[dict[str, int]]:
    """Every queue's size over what the user may see: one aggregate query, cached until
    a ticket or SLA row changes (tickets.counters: exact, or a marked estimate on a
    desk so large that counting on every change would cost each page load)."""
    return counted(f"queues:{agent_key(user)}", lambda: _count_queues(user))


def queue_counts(user: User) -> dict[str, int]:
    return queue_counts_of(user).value


def queue_tickets(user: User, key: str) -> QuerySet[Ticket]:
    return visible_tickets(user).filter(QUEUES_BY_KEY[key].condition(user))


# A row shows a person's name (or address): the other thirty-odd columns of a user, read
# and turned into Python for each of a page's rows, were a fifth of the page's time. The
# ticket's custom fields are not shown either.
ROW_DEFERRED = (
    "custom_fields",
    *(
        f"requester__{f.name}"
        for f in User._meta.concrete_fields
        if not f.primary_key and f.name not in ("name", "email")
    ),
)


def queue_rows(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What a queue row shows, in a constant number of queries: the requester and the
    SLA row joined in, with only the columns the row needs. The assignee, the team and
    the organization come from `attach_names` (five joins took PostgreSQL ten times as
    long to plan as two, on every page load: 2.3 against 0.3 ms)."""
    return tickets.select_related("requester", "sla").defer(*ROW_DEFERRED)


def attach_names(tickets: list[Ticket], agents: list[User], teams: list[Team]) -> None:
    """Give each row its assignee, team and organization from the lists the page shows
    anyway (its pickers), reading only what they lack: an assignee no longer active and
    the rows' organizations, in one small query each; and its tags' names
    (`tag_names`), in one more (names, not Tag objects with a related manager each)."""
    people = {agent.pk: agent for agent in agents}
    missing = {t.assignee_id for t in tickets if t.assignee_id and t.assignee_id not in people}
    if missing:
        people |= {u.pk: u for u in User.objects.filter(pk__in=missing).only("id", "name", "email")}
    by_team = {team.pk: team for team in teams}
    missing = {t.team_id for t in tickets if t.team_id and t.team_id not in by_team}
    if missing:
        by_team |= {team.pk: team for team in Team.objects.filter(pk__in=missing)}
    wanted = {t.organization_id for t in tickets if t.organization_id}
    organizations = (
        {o.pk: o for o in Organization.objects.filter(pk__in=wanted).only("id", "name")}
        if wanted
        else {}
    )
    tag_names: dict[int, list[str]] = {}
    if tickets:
        through = Ticket.tags.through.objects.filter(ticket_id__in=[t.pk for t in tickets])
        for ticket_id, name in through.order_by("tag__name").values_list("ticket_id", "tag__name"):
            tag_names.setdefault(ticket_id, []).append(name)
    for ticket in tickets:
        ticket.tag_names = tag_names.get(ticket.pk, [])  # type: ignore[attr-defined]
        if ticket.assignee_id:
            ticket.assignee = people[ticket.assignee_id]
        if ticket.team_id:
            ticket.team = by_team[ticket.team_id]
        if ticket.organization_id:
            ticket.organization = organizations[ticket.organization_id]


SORTS: dict[str, tuple[str, ...]] = {
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-priority": ("-priority", "-updated_at", "-id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    # Nearest SLA due time first; the key is the API's sort=due_at (tickets.selectors).
    "due": ("due_sort", "id"),
    "-due": ("-due_sort", "-id"),
}
DEFAULT_SORT = "-updated"


def sort_tickets(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    if sort in ("due", "-due"):
        tickets = tickets.annotate(due_sort=due_sort_key())
    return tickets.order_by(*SORTS[sort])


def _sort_fields(sort: str) -> tuple[list[str], bool]:
    fields = SORTS[sort]
    return [f.lstrip("-") for f in fields], fields[0].startswith("-")


def cursor_of(ticket: Ticket, sort: str) -> str:
    """The pager's cursor after this row: its sort key, as text."""
    fields, _descending = _sort_fields(sort)
    values: list[Any] = []
    for name in fields:
        value = getattr(ticket, name)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, fields: list[str]) -> list[Any] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(fields):
        return None
    decoded: list[Any] = []
    for name, value in zip(fields, values, strict=True):
        if name.endswith(("_at", "_sort")):
            try:
                decoded.append(datetime.fromisoformat(str(value)))
            except ValueError:
                return None
        elif isinstance(value, int) and not isinstance(value, bool):
            decoded.append(value)
        else:
            return None
    return decoded


def after_cursor(tickets: QuerySet[Ticket], sort: str, cursor: str) -> QuerySet[Ticket]:
    """The rows after the cursor's row in this sort: one row comparison, so the index of
    the sort is walked from the cursor on and the last page costs what the first does.
    A cursor that does not parse starts from the top (a hand-edited URL, never a 500)."""
    fields, descending = _sort_fields(sort)
    values = _decode(cursor, fields)
    if values is None:
        return tickets
    compare = TupleLessThan if descending else TupleGreaterThan
    return tickets.filter(compare(Tuple(*(F(f) for f in fields)), tuple(values)))


def _int(value: str | None) -> int | None:
    return parse_id(value or "")


# Up to this many organizations the filter is a list to pick from; past it (a desk with
# a CRM import of thousands) a field for the name: every page load listed all of them.
ORGANIZATION_PICKER = 200


def organizations_to_pick() -> list[Organization] | None:
    """The organizations for the filter's list, or None when there are too many to list."""
    found = list(
        Organization.objects.order_by("name").only("id", "name")[: ORGANIZATION_PICKER + 1]
    )
    return None if len(found) > ORGANIZATION_PICKER else found


def organization_named(params: QueryDict) -> int | None:
    """The organization whose name the filter's field holds (any case), 0 for a name no
    organization has (the list is then empty), None when the field is empty."""
    name = (params.get("organization_name") or "").strip()[:200]
    if not name:
        return None
    found = Organization.objects.filter(name__iexact=name).values_list("pk", flat=True).first()
    return found or 0


def parse_filter(params: QueryDict) -> TicketFilter:
    """List filters from the query string; unknown values are ignored, never a 500."""
    statuses = [s for s in params.getlist("status") if s in TicketStatus.values]
    priorities = [
        int(Priority.by_name(name))
        for name in params.getlist("priority")
        if name.upper() in Priority.names
    ]
    types = [t for t in params.getlist("type") if t in TicketType.values]
    line = _int(params.get("line"))
    return TicketFilter(
        status=statuses or None,
        priority=priorities or None,
        type=types or None,
        team=_int(params.get("team")),
        line=line if line in (1, 2, 3) else None,
        organization=_int(params.get("organization")) or organization_named(params),
        tag=(params.get("tag") or "").strip()[:64] or None,
        q=(params.get("q") or "").strip()[:200] or None,
    )


@dataclass(frozen=True)
class SlaCell:
    """What the queue's SLA column shows for one ticket."""

    state: str  # ok, at_risk, breached, paused, or "" (no SLA)
    due_at: datetime | None  # the next running target's due moment
    overdue: bool

    @property
    def shown(self) -> bool:
        return bool(self.state)


def sla_cell(ticket: Ticket, now: datetime | None = None) -> SlaCell:
    """The next due target of the ticket page (`sla_targets`) that still runs, and the
    SLA state its badge shows; a ticket with no due targets shows nothing."""
    try:
        sla = ticket.sla
    except TicketSla.DoesNotExist:
        sla = TicketSla(ticket=ticket, level=str(ticket.line))
    running = [t for t in sla_targets(ticket, sla) if not t.met and not t.settled]
    state = sla_state(sla)
    if not running:
        # Nothing left to count down: only a breach is still worth a word.
        shown = state if state == SlaState.BREACHED else ""
        return SlaCell(state=shown, due_at=None, overdue=False)
    due = min(t.due_at for t in running)
    overdue = due <= (now or timezone.now())
    if overdue and state in (SlaState.OK, SlaState.AT_RISK):
        # The periodic check has not flagged it yet; the clock face says so already.
        state = str(SlaState.BREACHED)
    return SlaCell(state=state, due_at=due, overdue=overdue)
