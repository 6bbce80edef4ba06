"""Reads of tickets and the `access_*` helpers: the only way to load a ticket for a user.

Visibility:
- admin: every ticket;
- agent: tickets of their teams, tickets in no team yet (triage) and tickets assigned
  to them, on every support line;
- team lead: as an agent, plus the tickets of teams with no lead of their own, whose
  escalations to "the lead" reach the desk's leads (sla.actions.team_lead);
- customer: tickets they requested, plus their organization's tickets when the
  organization shares them.
Anything outside answers "not found", never "forbidden", so numbers leak nothing.

An app above may hide some tickets from agents who are neither team leads nor admins
(complaints about a person of the desk): it registers a reader of their ids at start
(`register_hidden`), and every list and every single-ticket read leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DecimalField,
    Expression,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from opora.accounts.models import Organization, Team, User
from opora.core.errors import NotFound
from opora.core.rows import columns, from_row
from opora.search import service as search
from opora.tickets.models import Attachment, Message, Tag, Ticket, TimeEntry

# Readers of ticket ids hidden from agents who neither lead a team nor administer the
# desk: each returns a query of rows with a `ticket_id` column.
HiddenReader = Callable[[], QuerySet[Any]]
_hidden_readers: list[HiddenReader] = []


def register_hidden(reader: HiddenReader) -> None:
    if reader not in _hidden_readers:  # ready() may run twice in tests
        _hidden_readers.append(reader)
        _hidden_sql.cache_clear()
        _ticket_sql.cache_clear()


def hidden_among(ticket_ids: set[int]) -> set[int]:
    """Which of these tickets are hidden from plain agents (`register_hidden`): the live
    queue tells only leads and admins of them. One query, none without a reader."""
    if not _hidden_readers or not ticket_ids:
        return set()
    hidden = Q()
    for reader in _hidden_readers:
        hidden |= Q(pk__in=reader())
    return set(Ticket.objects.filter(hidden, pk__in=ticket_ids).values_list("pk", flat=True))


def _hides_from(user: User) -> bool:
    return bool(_hidden_readers) and user.is_agent and not user.is_admin and not user.is_team_lead


@cache
def _hidden_sql() -> tuple[str, tuple[Any, ...]]:
    """Whether the ticket `t` is hidden, as one SQL expression of the fixed statement
    (`_ticket_sql`): the one-ticket twin of the exclusion in `visible_tickets`."""
    parts: list[str] = []
    params: list[Any] = []
    for reader in _hidden_readers:
        sql, found = reader().query.sql_with_params()
        parts.append(f"t.id IN ({sql})")
        params += found
    return (" OR ".join(parts) or "1 = 0"), tuple(params)


def _agent_team_ids(user: User) -> QuerySet[Any]:
    return Team.members.through.objects.filter(user_id=user.pk).values("team_id")


def _lead_condition() -> Q:
    """Members who lead: an active agent or admin marked team lead."""
    return Q(user__is_team_lead=True, user__is_active=True, user__role__in=("agent", "admin"))


def led_team_ids(user: User) -> QuerySet[Any]:
    """Teams a team lead leads: their own teams and every team with no lead among its
    members (escalations of those go to a lead of the desk, so the lead must open them)."""
    memberships = Team.members.through.objects
    with_lead = memberships.filter(_lead_condition()).values("team_id")
    return Team.objects.filter(Q(pk__in=_agent_team_ids(user)) | ~Q(pk__in=with_lead)).values("pk")


def _agent_scope(user: User) -> Q:
    """The one visibility rule for agents (`may_see` is its one-ticket twin)."""
    teams = led_team_ids(user) if user.is_team_lead else _agent_team_ids(user)
    return Q(team__isnull=True) | Q(team_id__in=teams) | Q(assignee_id=user.pk)


def visible_tickets(user: User) -> QuerySet[Ticket]:
    """Tickets this user may see (not yet filtered further)."""
    tickets = Ticket.objects.all()
    if not user.is_active:
        return tickets.none()
    if user.is_admin:
        return tickets
    if user.is_agent:
        tickets = tickets.filter(_agent_scope(user))
        if _hides_from(user):
            for reader in _hidden_readers:
                tickets = tickets.exclude(pk__in=reader())
        return tickets
    scope = Q(requester_id=user.pk)
    organization = user.organization
    if organization is not None and organization.shared_tickets:
        scope |= Q(organization_id=organization.pk)
    return tickets.filter(scope)


def access_ticket(user: User, number: int, *, for_update: bool = False) -> Ticket:
    """The ticket with this number if the user may see it; NotFound otherwise.

    Loaded with its requester, organization, team and assignee.
    """
    if for_update:
        found = (
            visible_tickets(user)
            .select_for_update(of=("self",))
            .select_related("requester", "organization", "team", "assignee")
            .filter(number=number)
            .first()
        )
    else:
        found = _ticket_for(user, number)
    if found is None:
        raise NotFound(_("ticket"))
    return found


@cache
def _ticket_sql(count: int = 1) -> str:
    """The ticket by number with its related rows, whether a user is in its team, and
    whether it is hidden from agents who neither lead nor administer (`register_hidden`).

    Every ticket page and API call on a ticket reads it: a fixed statement, not an ORM
    query composed (and compiled) each time.
    """
    quote = connection.ops.quote_name
    members = quote(Team.members.through._meta.db_table)
    users = quote(User._meta.db_table)
    related = [(Ticket, "t"), (User, "r"), (Organization, "o"), (Team, "m"), (User, "a")]
    selected = ", ".join(columns(model, alias) for model, alias in related)
    # Identifiers come from the models' metadata, quoted; values are parameters.
    return (
        f"SELECT {selected}, EXISTS (SELECT 1 FROM {members} tm"  # noqa: S608
        " WHERE tm.team_id = t.team_id AND tm.user_id = %s),"
        f" EXISTS (SELECT 1 FROM {members} lm JOIN {users} lu ON lu.id = lm.user_id"
        " WHERE lm.team_id = t.team_id AND lu.is_team_lead AND lu.is_active"
        " AND lu.role IN ('agent', 'admin')),"
        f" ({_hidden_sql()[0]})"
        f" FROM {quote(Ticket._meta.db_table)} t"
        f" JOIN {quote(User._meta.db_table)} r ON r.id = t.requester_id"
        f" LEFT JOIN {quote(Organization._meta.db_table)} o ON o.id = t.organization_id"
        f" LEFT JOIN {quote(Team._meta.db_table)} m ON m.id = t.team_id"
        f" LEFT JOIN {quote(User._meta.db_table)} a ON a.id = t.assignee_id"
        f" WHERE t.number IN ({', '.join(['%s'] * count)})"
    )


def _ticket_for(user: User, number: int) -> Ticket | None:
    return accessible_tickets(user, [number]).get(number)


def accessible_tickets(user: User, numbers: Collection[int]) -> dict[int, Ticket]:
    """`access_ticket` for several numbers in one statement (the API's grouped replies):
    the tickets the user may see, by number; the others are left out."""
    wanted = sorted(set(numbers))
    if not user.is_active or not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_ticket_sql(len(wanted)), [user.pk, *_hidden_sql()[1], *wanted])
        rows = cursor.fetchall()
    found = (_visible_ticket(user, row) for row in rows)
    return {ticket.number: ticket for ticket in found if ticket is not None}


def _visible_ticket(user: User, row: Sequence[Any]) -> Ticket | None:
    parts: list[Any] = []
    at = 0
    for model in (Ticket, User, Organization, Team, User):
        width = len(model._meta.concrete_fields)
        values = row[at : at + width]
        parts.append(from_row(model, values) if values[0] is not None else None)
        at += width
    ticket, requester, organization, team, assignee = parts
    in_team, team_has_lead, hidden = bool(row[at]), bool(row[at + 1]), bool(row[at + 2])
    if not may_see(user, ticket, in_team=in_team, team_has_lead=team_has_lead):
        return None
    if hidden and _hides_from(user):
        return None
    ticket.requester, ticket.organization = requester, organization
    ticket.team, ticket.assignee = team, assignee
    return ticket  # type: ignore[no-any-return]


def may_see(user: User, ticket: Ticket, *, in_team: bool, team_has_lead: bool = True) -> bool:
    """`visible_tickets` for one loaded ticket (`in_team`: the user is in its team;
    `team_has_lead`: an active lead is among its members).

    tests/tickets/test_access.py checks that both agree for every kind of user.
    """
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    if user.is_agent:
        leads_it = user.is_team_lead and not team_has_lead
        return ticket.team_id is None or in_team or leads_it or ticket.assignee_id == user.pk
    if ticket.requester_id == user.pk:
        return True
    organization = user.organization
    return (
        organization is not None
        and organization.shared_tickets
        and ticket.organization_id == organization.pk
    )


def visible_messages(user: User, ticket: Ticket) -> QuerySet[Message]:
    """The ticket's conversation as this user may read it: no internal notes for customers."""
    messages = ticket.messages.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    if not user.is_agent:
        messages = messages.filter(internal=False)
    return messages.order_by("created_at", "id")


def access_attachment(user: User, attachment_id: int) -> Attachment:
    """An attachment the user may download: its ticket visible, its note not hidden."""
    attachment = (
        Attachment.objects.select_related("message__ticket").filter(pk=attachment_id).first()
    )
    if attachment is None:
        raise NotFound(_("attachment"))
    message = attachment.message
    if message.internal and not user.is_agent:
        raise NotFound(_("attachment"))
    if not visible_tickets(user).filter(pk=message.ticket_id).exists():
        raise NotFound(_("attachment"))
    return attachment


def access_assignee(user_id: int) -> User:
    """A user who can be assigned tickets: an active agent or admin."""
    found = User.objects.filter(pk=user_id, is_active=True, role__in=("agent", "admin")).first()
    if found is None:
        raise NotFound(_("agent"))
    return found


@dataclass(frozen=True)
class TicketFilter:
    """Filters of ticket lists, shared by the API and the agent workspace."""

    status: list[str] | None = None
    assignee: str | None = None  # "me", "none" or a user id
    team: int | None = None
    priority: list[int] | None = None
    type: list[str] | None = None
    line: int | None = None
    requester: int | None = None
    organization: int | None = None
    tag: str | None = None
    updated_since: datetime | None = None
    q: str | None = None


def filter_tickets(tickets: QuerySet[Ticket], f: TicketFilter, *, user: User) -> QuerySet[Ticket]:
    """Apply list filters; every filter maps to an indexed column or a join."""
    if f.status:
        tickets = tickets.filter(status__in=f.status)
    if f.assignee == "me":
        tickets = tickets.filter(assignee_id=user.pk)
    elif f.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif f.assignee:
        tickets = tickets.filter(assignee_id=int(f.assignee))
    if f.team is not None:
        tickets = tickets.filter(team_id=f.team)
    if f.priority:
        tickets = tickets.filter(priority__in=f.priority)
    if f.type:
        tickets = tickets.filter(type__in=f.type)
    if f.line is not None:
        tickets = tickets.filter(line=f.line)
    if f.requester is not None:
        tickets = tickets.filter(requester_id=f.requester)
    if f.organization is not None:
        tickets = tickets.filter(organization_id=f.organization)
    if f.tag:
        tickets = _with_tag(tickets, f.tag)
    if f.updated_since is not None:
        tickets = tickets.filter(updated_at__gte=f.updated_since)
    if f.q:
        tickets = tickets.filter(_text_query(f.q, user=user))
    return tickets


def _with_tag(tickets: QuerySet[Ticket], name: str) -> QuerySet[Ticket]:
    """Tickets with this tag, starting from the tag's own rows (its index), not from the
    tickets: a tag on few tickets, or on none, costs what those rows cost."""
    tag_id = Tag.objects.filter(name=name.strip().lower()).values_list("pk", flat=True).first()
    if tag_id is None:
        return tickets.none()
    tagged = Ticket.tags.through.objects.filter(tag_id=tag_id).values("ticket_id")
    return tickets.filter(pk__in=tagged)


# A ticket number has at most this many digits (a bigint); longer digits are just text.
_NUMBER_DIGITS = 18


# A text filter that matches at most this many index documents is handed to the list
# as the ticket ids themselves.
_FEW_DOCUMENTS = 500


def _few_ticket_ids(sql: str, params: list[object]) -> set[int] | None:
    """The matching tickets' ids when the index finds few documents, else None.

    As a subquery the planner must guess how many rows the index gives; a rare word
    next to a very common one ("floor 4242", "floor" in every message) is guessed high,
    and the list then walks the tickets probing each one's documents: seconds at a
    million tickets. Asking the index first costs one short query (it stops after
    _FEW_DOCUMENTS + 1 rows) and turns those plans into a lookup of a few ids."""
    args: list[Any] = [*params, _FEW_DOCUMENTS + 1]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", args)
        rows = cursor.fetchall()
    if len(rows) > _FEW_DOCUMENTS:
        return None
    return {row[0] for row in rows}


class _TicketCondition(Expression):
    """A raw condition on the ticket row of the query it is compiled in: `{ticket}` is
    replaced by that query's ticket id column (its alias differs when the list is
    itself a subquery). Only fixed fragments; every value is a parameter."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, template: str, params: list[object]) -> None:
        super().__init__()
        self.template, self.params = template, params

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        alias = compiler.query.get_initial_alias()
        column = f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name('id')}"
        return self.template.replace("{ticket}", column), list(self.params)


def _text_query(q: str, *, user: User) -> Q:
    """Tickets whose subject or messages hold every word of `q` (the search index, as
    ticket search uses it: customers never match words of internal notes), or whose
    number `q` is ("123"; "#123" is the number only)."""
    text = q.strip()
    digits = text.lstrip("#")
    number = int(digits) if digits.isdigit() and len(digits) <= _NUMBER_DIGITS else None
    if number is not None and text.startswith("#"):
        return Q(number=number)  # "#123" names a ticket, not a word
    found = search.ticket_ids_matching(text, include_internal_notes=user.is_agent)
    if found is None:
        return Q(number=number) if number is not None else Q(pk__in=[])
    sql, params = found
    few = _few_ticket_ids(sql, params)
    if few is not None:
        return Q(pk__in=few) | Q(number=number) if number is not None else Q(pk__in=few)
    common = search.ticket_condition_if_common(text, include_internal_notes=user.is_agent)
    if common is not None:
        held = Q(_TicketCondition(*common))
        return held | Q(number=number) if number is not None else held
    if number is not None:
        # One set of ids, so the database can start from either side of the join.
        table = connection.ops.quote_name(Ticket._meta.db_table)
        sql = f"{sql} UNION ALL SELECT n.id FROM {table} n WHERE n.number = %s"  # noqa: S608
        params = [*params, number]
    return Q(pk__in=RawSQL(sql, params))  # noqa: S611 - fixed fragments, values as params


def ticket_list_queryset(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Everything a ticket row shows, loaded in a constant number of queries."""
    return tickets.select_related(
        "requester", "organization", "team", "assignee", "problem", "merged_into"
    ).prefetch_related("tags")


# Sorts after every real due time, so tickets without an SLA come last.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)


def due_sort_key() -> Any:
    """First-response due while unanswered, then resolution due; none sorts last."""
    return Case(
        When(
            first_response_at__isnull=True,
            first_response_due_at__isnull=False,
            then=F("first_response_due_at"),
        ),
        default=Coalesce(F("resolution_due_at"), Value(NO_DUE)),
        output_field=DateTimeField(),
    )


# --- Time tracking totals (ticket page "Time" card) ---


@dataclass(frozen=True)
class TimeTotals:
    minutes: int
    cost: Decimal
    timer_running: bool  # the viewer's own timer on this ticket


def time_totals(ticket: Ticket, viewer: User) -> TimeTotals:
    """Logged minutes and cost of a ticket, and whether the viewer's timer runs: one query."""
    row = TimeEntry.objects.filter(ticket=ticket).aggregate(
        # A running timer has 0 minutes until it stops, so it adds nothing yet.
        total_minutes=Sum("minutes"),
        total_cost=Sum(
            ExpressionWrapper(
                F("minutes") * F("rate_per_hour"),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            )
        ),
        running_timers=Count(
            "pk", filter=Q(agent=viewer, started_at__isnull=False, stopped_at__isnull=True)
        ),
    )
    cost = (Decimal(row["total_cost"] or 0) / 60).quantize(Decimal("0.01"))
    return TimeTotals(
        minutes=int(row["total_minutes"] or 0),
        cost=cost,
        timer_running=row["running_timers"] > 0,
    )
