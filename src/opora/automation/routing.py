"""Who gets a team's new ticket: routing by presence, capacity, line, hours and skills.

Each team chooses a strategy in its `RoutingSettings`: off (assigned by hand), round
robin, least loaded, or skills (the ticket's language among the agent's languages and
its tags that are someone's skill among the agent's skills, then least loaded). Only
agents who are online (the same `AgentPresence` the live chat uses: the agent's own
switch), of the ticket's support line, and below the team's limit of open tickets for
the ticket's channel group get one; outside the business hours of the team's calendar
nobody does, and the ticket waits in the queue.

A ticket is routed at once, in a job after the commit, when it is opened and when it
is left without an assignee as its team or line changes (by an agent, a trigger, a
macro or the API) or it is handed back to the queue; a team's queue is drained when a
ticket of the team is solved (capacity freed), when one of its agents comes online,
and by a periodic sweep (the hours opening; whatever a job missed): the sweep drains
each team's queue of unassigned tickets in the order of their SLA due moment, and
gives the open work of an assignee who has been offline longer than the team allows
back to the queue first.

Chat tickets are offered by the chat's own routing (`chat/routing.py`); here they only
count towards an agent's load.

Race safety: one assignment locks the team's settings row, then every candidate agent's
row (in id order, so two workers never wait on each other in a circle), counts the
loads under those locks and writes the assignment before the locks are released, so two
workers never give one agent more than the limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Min
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.accounts.models import Role, Team, User
from opora.accounts.selectors import require_agent
from opora.automation import errors
from opora.automation.models import RoutingSettings, RoutingStrategy
from opora.core import audit
from opora.core import clock as wall_clock
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.core.tasks import enqueue_after_commit, enqueue_many_after_commit
from opora.sla.calendar import Hours
from opora.sla.models import BusinessCalendar
from opora.tickets.actions import TicketChanges, update_ticket
from opora.tickets.models import Channel, Event, EventKind, Ticket, TicketStatus

ROUTER_EMAIL = "router@opora.invalid"

# Channel groups: each has its own limit of open tickets per agent.
EMAIL, CHAT, MESSENGERS = "email", "chat", "messengers"
GROUPS = (EMAIL, CHAT, MESSENGERS)
GROUP_OF: dict[str, str] = {
    Channel.CHAT.value: CHAT,
    Channel.TELEGRAM.value: MESSENGERS,
    Channel.VK.value: MESSENGERS,
    Channel.WHATSAPP.value: MESSENGERS,
}
LIMIT_FIELD = {EMAIL: "max_email", CHAT: "max_chat", MESSENGERS: "max_messengers"}
GROUP_LABELS = {
    EMAIL: gettext_lazy("E-mail and portal"),
    CHAT: gettext_lazy("Chat"),
    MESSENGERS: gettext_lazy("Messengers"),
}

# Tickets that hold an agent's capacity, and those that wait for the agent's answer.
LOAD_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)
WAITING_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)
# At most this many tickets per sweep, so one run never holds the worker for long.
SWEEP_LIMIT = 500


def channel_group(channel: str) -> str:
    return GROUP_OF.get(channel, EMAIL)


def channels_of(group: str) -> list[str]:
    return [c for c in Channel.values if channel_group(c) == group]


# --- presence (the chat app registers its reader at start) ----------------------------


@dataclass(frozen=True)
class Presence:
    status: str  # "online", "away" or "offline"
    since: datetime  # when the agent last changed it


PresenceReader = Callable[[list[int]], dict[int, Presence]]


def _nobody(ids: list[int]) -> dict[int, Presence]:
    return {}


_presence_reader: PresenceReader = _nobody


def register_presence(reader: PresenceReader) -> None:
    """The chat app tells routing how to read agents' presence (automation may not
    import chat, which builds on it)."""
    global _presence_reader
    _presence_reader = reader


def presence_of(ids: Iterable[int]) -> dict[int, Presence]:
    """Each agent's presence; an agent who never set one is offline."""
    wanted = list(ids)
    return _presence_reader(wanted) if wanted else {}


# --- reads --------------------------------------------------------------------------


def settings_of(team_id: int) -> RoutingSettings:
    """The team's routing settings, or the defaults (off), unsaved."""
    return RoutingSettings.objects.filter(team_id=team_id).first() or RoutingSettings(
        team_id=team_id
    )


def loads(agent_ids: Iterable[int]) -> dict[int, Counter[str]]:
    """Open tickets per agent per channel group (over all teams: an agent is one person)."""
    ids = list(agent_ids)
    result: dict[int, Counter[str]] = {pk: Counter() for pk in ids}
    rows = (
        Ticket.objects.filter(assignee_id__in=ids, status__in=LOAD_STATUSES)
        .values_list("assignee_id", "channel")
        .annotate(n=Count("id"))
    )
    for agent_id, channel, n in rows:
        result[agent_id][channel_group(channel)] += n
    return result


def limit(settings: RoutingSettings, group: str) -> int:
    return int(getattr(settings, LIMIT_FIELD[group]))


def open_now(settings: RoutingSettings, at: datetime) -> bool:
    """Whether the team works now: always, unless it keeps to a calendar's hours."""
    if not settings.respect_hours:
        return True
    calendar = settings.calendar or BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        return True
    hours = Hours.of(calendar)
    day = at.astimezone(hours.tz).date()
    return any(start <= at < end for start, end in hours.spans(day))


def team_agents(team_id: int) -> list[User]:
    """Active agents and admins of the team, by id."""
    return list(
        User.objects.filter(
            teams=team_id, is_active=True, role__in=(Role.AGENT, Role.ADMIN)
        ).order_by("pk")
    )


def _speaks(agent: User, language: str) -> bool:
    """An agent who lists no languages is taken to answer in any."""
    return not language or not agent.languages or language in agent.languages


def skill_matches(ticket: Ticket, agents: list[User]) -> list[User]:
    """Agents who speak the ticket's language and have each of its tags that is a skill
    of anyone in the team."""
    known = {s for a in agents for s in (a.skills or [])}
    needed = set(ticket.tags.values_list("name", flat=True)) & known
    return [a for a in agents if _speaks(a, ticket.language) and needed <= set(a.skills or [])]


def candidates(ticket: Ticket, settings: RoutingSettings) -> list[User]:
    """Agents who may get the ticket now, before capacity: team, presence, line, skills."""
    agents = team_agents(ticket.team_id) if ticket.team_id else []
    present = presence_of(a.pk for a in agents)
    agents = [a for a in agents if a.pk in present and present[a.pk].status == "online"]
    if settings.respect_line:
        agents = [a for a in agents if (a.support_line or 1) == ticket.line]
    if settings.strategy == RoutingStrategy.SKILLS:
        agents = skill_matches(ticket, agents)
    return agents


def choose(
    settings: RoutingSettings, agents: list[User], load: dict[int, Counter[str]], group: str
) -> User | None:
    """The agent the strategy picks among those below the group's limit."""
    cap = limit(settings, group)
    free = [a for a in agents if load[a.pk][group] < cap]
    if not free:
        return None
    if settings.strategy == RoutingStrategy.ROUND_ROBIN:
        last = settings.last_agent_id or 0
        return next((a for a in free if a.pk > last), free[0])
    return min(free, key=lambda a: (load[a.pk][group], sum(load[a.pk].values()), a.pk))


# --- writes -------------------------------------------------------------------------


def router_user() -> User:
    """The actor of routing's changes: an agent that cannot sign in or be assigned."""
    user, _created = User.objects.get_or_create(
        email=ROUTER_EMAIL, defaults={"name": "Routing", "role": Role.AGENT, "is_active": False}
    )
    return user


def route_ticket(ticket_id: int) -> User | None:
    """Assign one unassigned ticket by its team's routing; None when it must wait."""
    with transaction.atomic():
        ticket = Ticket.objects.filter(
            pk=ticket_id, assignee__isnull=True, status__in=WAITING_STATUSES, team__isnull=False
        ).first()
        group = channel_group(ticket.channel) if ticket else CHAT
        if ticket is None or ticket.team_id is None or group == CHAT:
            return None
        settings = (
            RoutingSettings.objects.select_for_update(of=("self",))
            .select_related("calendar")
            .filter(team_id=ticket.team_id)
            .exclude(strategy=RoutingStrategy.OFF)
            .first()
        )
        if settings is None or not open_now(settings, wall_clock.now()):
            return None
        agents = candidates(ticket, settings)
        if not agents:
            return None
        # Lock the candidates, then count: whoever assigns to them next waits for this.
        list(User.objects.select_for_update().filter(pk__in=[a.pk for a in agents]).order_by("pk"))
        agent = choose(settings, agents, loads(a.pk for a in agents), group)
        if agent is None:
            return None
        locked = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
        if locked is None or locked.assignee_id is not None or locked.team_id != settings.team_id:
            return None  # someone assigned or moved it meanwhile
        assign(locked, agent, settings.strategy)
        settings.last_agent_id = agent.pk
        settings.save(update_fields=["last_agent_id"])
        return agent


def assign(ticket: Ticket, agent: User, strategy: str) -> None:
    """Assign through the one write path; the history names the strategy."""
    update_ticket(ticket, TicketChanges(assignee=agent.pk), by=router_user())
    latest = Event.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).order_by("-pk")[:1]
    Event.objects.filter(pk__in=latest.values("pk")).update(data={"routing": strategy})


def queue(team_ids: Iterable[int] | None = None) -> list[int]:
    """Unassigned tickets waiting for routing, the soonest due first (then the oldest)."""
    teams = RoutingSettings.objects.exclude(strategy=RoutingStrategy.OFF).values("team_id")
    if team_ids is not None:
        teams = teams.filter(team_id__in=list(team_ids))
    waiting = Ticket.objects.filter(
        team_id__in=teams, assignee__isnull=True, status__in=WAITING_STATUSES
    ).exclude(channel=Channel.CHAT)
    rows = waiting.order_by(
        F("first_response_due_at").asc(nulls_last=True),
        F("resolution_due_at").asc(nulls_last=True),
        "created_at",
        "pk",
    )
    return list(rows.values_list("pk", flat=True)[:SWEEP_LIMIT])


def drain(team_ids: Iterable[int] | None = None) -> int:
    """Route the queue (of some teams) in order of SLA due; returns how many got an agent."""
    return sum(1 for pk in queue(team_ids) if route_ticket(pk) is not None)


def routed_teams(team_ids: Iterable[int]) -> set[int]:
    """Those of the teams whose routing is on (one query)."""
    return set(
        RoutingSettings.objects.filter(team_id__in=list(team_ids))
        .exclude(strategy=RoutingStrategy.OFF)
        .values_list("team_id", flat=True)
    )


def agent_online(agent_id: int) -> None:
    """An agent came online (in the caller's transaction): after commit, a job per team
    of theirs that routes drains its queue, up to the limits of whoever is online."""
    teams = Team.objects.filter(members=agent_id).values_list("pk", flat=True)
    wanted = sorted(routed_teams(teams))
    enqueue_many_after_commit(_drain_task(), [(pk,) for pk in wanted])


def reassign_offline() -> int:
    """Tickets waiting on an assignee offline longer than the team allows go back to
    the team's queue (to be routed again); returns how many."""
    now = wall_clock.now()
    moved = 0
    teams = RoutingSettings.objects.exclude(strategy=RoutingStrategy.OFF).filter(
        reassign_after__isnull=False
    )
    for settings in teams:
        held = Ticket.objects.filter(
            team_id=settings.team_id, assignee__isnull=False, status__in=WAITING_STATUSES
        ).exclude(channel=Channel.CHAT)
        holders = set(held.values_list("assignee_id", flat=True).distinct())
        present = presence_of(sorted(holders))
        cutoff = now - timedelta(minutes=settings.reassign_after or 0)
        # An agent who never set a presence has not "gone offline": only a real switch.
        gone = [
            pk
            for pk, p in present.items()
            if pk in holders and p.status == "offline" and p.since <= cutoff
        ]
        for ticket in held.filter(assignee_id__in=gone).order_by("pk")[:SWEEP_LIMIT]:
            with transaction.atomic():
                locked = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
                if locked is None or locked.assignee_id not in gone:
                    continue
                update_ticket(locked, TicketChanges(unassign=True), by=router_user())
                moved += 1
    return moved


def sweep() -> int:
    """The periodic run: work of agents gone offline back to the queue, then the queue
    drained; returns how many tickets got an agent."""
    reassign_offline()
    return drain()


# --- the team's load, for its lead -------------------------------------------------


@dataclass
class AgentLoad:
    agent: User
    presence: str
    open: dict[str, int]
    limits: dict[str, int]
    oldest_waiting: datetime | None

    @property
    def groups(self) -> list[dict[str, object]]:
        return [
            {
                "group": g,
                "label": GROUP_LABELS[g],
                "open": self.open[g],
                "limit": self.limits[g],
                "full": self.open[g] >= self.limits[g],
            }
            for g in GROUPS
        ]


@dataclass
class TeamLoad:
    settings: RoutingSettings
    agents: list[AgentLoad]
    unassigned: int
    oldest_unassigned: datetime | None


def team_load(team_id: int) -> TeamLoad:
    """Agents of the team with presence, open tickets per group against the limits and
    their oldest ticket waiting for an answer; the team's unassigned queue."""
    settings = settings_of(team_id)
    agents = team_agents(team_id)
    ids = [a.pk for a in agents]
    present = presence_of(ids)
    load = loads(ids)
    oldest = dict(
        Ticket.objects.filter(assignee_id__in=ids, status__in=WAITING_STATUSES)
        .values_list("assignee_id")
        .annotate(at=Min("created_at"))
    )
    limits = {g: limit(settings, g) for g in GROUPS}
    unassigned = Ticket.objects.filter(
        team_id=team_id, assignee__isnull=True, status__in=WAITING_STATUSES
    ).aggregate(n=Count("id"), at=Min("created_at"))
    return TeamLoad(
        settings=settings,
        agents=[
            AgentLoad(
                agent=a,
                presence=present[a.pk].status if a.pk in present else "offline",
                open={g: load[a.pk][g] for g in GROUPS},
                limits=limits,
                oldest_waiting=oldest.get(a.pk),
            )
            for a in agents
        ],
        unassigned=unassigned["n"],
        oldest_unassigned=unassigned["at"],
    )


# --- who may see and change it; the change --------------------------------------------

SETTINGS_FIELDS = (
    "strategy",
    "max_email",
    "max_chat",
    "max_messengers",
    "respect_hours",
    "calendar",
    "respect_line",
    "reassign_after",
)
MAX_LIMIT = 500
MAX_REASSIGN_MINUTES = 7 * 24 * 60


def access_team_routing(user: User, team_id: int) -> Team:
    """Admins configure every team's routing and see its load; team leads their own."""
    require_agent(user)
    if not (user.is_admin or user.is_team_lead):
        raise Forbidden(errors.LEADS_ONLY, _("Only team leads and admins configure routing."))
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("team"))
    if not user.is_admin and not user.teams.filter(pk=team_id).exists():
        raise Forbidden(errors.NOT_YOUR_TEAM, _("Team leads configure their own teams only."))
    return team


def teams_for_routing(user: User) -> list[Team]:
    """Teams whose routing this person configures: all for admins, a lead's own."""
    require_agent(user)
    if not (user.is_admin or user.is_team_lead):
        raise Forbidden(errors.LEADS_ONLY, _("Only team leads and admins configure routing."))
    teams = Team.objects.order_by("name", "id")
    if not user.is_admin:
        teams = teams.filter(pk__in=user.teams.values("pk"))
    return list(teams)


@dataclass
class RoutingInput:
    strategy: str
    max_email: int
    max_chat: int
    max_messengers: int
    respect_hours: bool
    calendar: int | None
    respect_line: bool
    reassign_after: int | None


def _check(values: RoutingInput) -> None:
    if values.strategy not in RoutingStrategy.values:
        raise ValidationFailed(
            errors.INVALID_STRATEGY,
            _("Choose off, round robin, least loaded or skills."),
            field="strategy",
        )
    for name in ("max_email", "max_chat", "max_messengers"):
        if not 0 <= getattr(values, name) <= MAX_LIMIT:
            raise ValidationFailed(
                errors.INVALID_LIMIT,
                _("A limit from 0 to %(max)s.") % {"max": MAX_LIMIT},
                field=name,
            )
    if values.reassign_after is not None and not 1 <= values.reassign_after <= MAX_REASSIGN_MINUTES:
        raise ValidationFailed(
            errors.INVALID_LIMIT,
            _("Reassign after 1 to %(max)s minutes, or never.") % {"max": MAX_REASSIGN_MINUTES},
            field="reassign_after",
        )
    if (
        values.calendar is not None
        and not BusinessCalendar.objects.filter(pk=values.calendar).exists()
    ):
        raise ValidationFailed(errors.UNKNOWN_CALENDAR, _("No such calendar."), field="calendar")


@transaction.atomic
def configure_routing(*, by: User, team_id: int, values: RoutingInput) -> RoutingSettings:
    """Set a team's routing (audited); its queue is drained after commit, since the new
    settings may let waiting tickets through."""
    team = access_team_routing(by, team_id)
    _check(values)
    found = RoutingSettings.objects.select_for_update().filter(team_id=team.pk).first()
    created = found is None
    if found is None:
        found = RoutingSettings(team=team)
    before = {} if created else audit.snapshot(found, SETTINGS_FIELDS)
    found.strategy = values.strategy
    found.max_email = values.max_email
    found.max_chat = values.max_chat
    found.max_messengers = values.max_messengers
    found.respect_hours = values.respect_hours
    found.calendar_id = values.calendar
    found.respect_line = values.respect_line
    found.reassign_after = values.reassign_after
    found.updated_at = wall_clock.now()
    found.save()
    audit.record_change(
        actor=by,
        area="routing",
        action="created" if created else "changed",
        target=found,
        target_type="routing_settings",
        label=team.name,
        changes=audit.diff(before, audit.snapshot(found, SETTINGS_FIELDS)),
    )
    if found.strategy != RoutingStrategy.OFF:
        enqueue_after_commit(_drain_task(), team.pk)
    return found


def _drain_task() -> Any:
    from opora.automation.tasks import drain_team_task  # (tasks builds on this module)

    return drain_team_task
