"""The workspace's named queues, their counts in one query, and list filters from a URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team, User
from opora.core.numbers import parse_id
from opora.tickets.models import ACTIVE_STATUSES, Priority, Ticket, TicketStatus, TicketType
from opora.tickets.selectors import TicketFilter, due_sort_key, visible_tickets

RECENTLY_SOLVED_DAYS = 7


def _my_teams(user: User) -> Q:
    # Admins triage for everyone; agents see the unassigned work of their own teams
    # and tickets no team has picked up yet.
    if user.is_admin:
        return Q()
    member_of = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    return Q(team__isnull=True) | Q(team_id__in=member_of)


def _recent() -> Q:
    since = timezone.now() - timedelta(days=RECENTLY_SOLVED_DAYS)
    return Q(status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED), updated_at__gte=since)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    condition: Callable[[User], Q]
    group: str = "status"


QUEUES: list[Queue] = [
    Queue("mine", _("My open tickets"), lambda u: Q(assignee_id=u.pk, status__in=ACTIVE_STATUSES)),
    Queue(
        "unassigned",
        _("Unassigned"),
        lambda u: Q(assignee__isnull=True, status__in=ACTIVE_STATUSES) & _my_teams(u),
    ),
    Queue("open", _("All open"), lambda u: Q(status__in=ACTIVE_STATUSES)),
    Queue("pending", _("Pending"), lambda u: Q(status=TicketStatus.PENDING)),
    Queue("on_hold", _("On hold"), lambda u: Q(status=TicketStatus.ON_HOLD)),
    Queue("solved", _("Recently solved"), lambda u: _recent()),
    Queue("line1", _("1st line"), lambda u: Q(line=1, status__in=ACTIVE_STATUSES), "line"),
    Queue("line2", _("2nd line"), lambda u: Q(line=2, status__in=ACTIVE_STATUSES), "line"),
    Queue("line3", _("3rd line"), lambda u: Q(line=3, status__in=ACTIVE_STATUSES), "line"),
]
QUEUES_BY_KEY = {q.key: q for q in QUEUES}
DEFAULT_QUEUE = "mine"


def queue_counts(user: User) -> dict[str, int]:
    """Every queue's size in one aggregate query over what the user may see."""
    counts = visible_tickets(user).aggregate(
        **{q.key: Count("id", filter=q.condition(user)) for q in QUEUES}
    )
    return {key: int(value or 0) for key, value in counts.items()}


def queue_tickets(user: User, key: str) -> QuerySet[Ticket]:
    return visible_tickets(user).filter(QUEUES_BY_KEY[key].condition(user))


SORTS: dict[str, tuple[str, ...]] = {
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-priority": ("-priority", "-updated_at", "-id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    # Nearest SLA due time first; the key is the API's sort=due_at (tickets.selectors).
    "due": ("due_sort", "id"),
}
DEFAULT_SORT = "-updated"


def sort_tickets(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    if sort == "due":
        tickets = tickets.annotate(due_sort=due_sort_key())
    return tickets.order_by(*SORTS[sort])


def _int(value: str | None) -> int | None:
    return parse_id(value or "")


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
        organization=_int(params.get("organization")),
        tag=(params.get("tag") or "").strip()[:64] or None,
        q=(params.get("q") or "").strip()[:200] or None,
    )
