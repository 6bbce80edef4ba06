"""Reads of the live chat and the `access_*` helpers: the only way to load a widget, a
visitor or a session for someone.

- A visitor is whoever holds a visitor token signed for the widget: they reach their
  own current session and nothing else.
- An agent sees the sessions of the widgets of their teams (and those they have);
  admins see all. Anything else answers "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import Role, Team, User
from opora.automation.routing import Presence
from opora.chat import errors
from opora.chat.models import (
    OPEN_STATES,
    AgentPresence,
    ChatSession,
    ChatWidget,
    PresenceStatus,
    SessionState,
)
from opora.core.errors import Forbidden, NotFound, OporaError
from opora.tickets.selectors import visible_tickets

STAFF = (Role.AGENT, Role.ADMIN)
TOKEN_SALT = "opora.chat.visitor"  # noqa: S105 - a namespace, not a secret


class VisitorRefused(OporaError):
    """A visitor token that is forged, of another widget, or for an inactive widget."""

    status = 401


@dataclass(frozen=True)
class Visitor:
    """Someone holding a valid visitor token of an active widget."""

    widget: ChatWidget
    visitor_id: str

    @property
    def group(self) -> str:
        return f"chat.visitor.{self.widget.pk}.{self.visitor_id}"


def visitor_token(widget: ChatWidget, visitor_id: str) -> str:
    return signing.dumps({"w": widget.pk, "v": visitor_id}, salt=TOKEN_SALT)


def access_widget(public_key: str) -> ChatWidget:
    """The active widget with this public key; NotFound otherwise."""
    widget = (
        ChatWidget.objects.select_related("team").filter(public_key=public_key, active=True).first()
        if public_key
        else None
    )
    if widget is None:
        raise NotFound(_("chat widget"))
    return widget


def read_token(widget: ChatWidget, token: str) -> str | None:
    """The visitor id a token names for this widget, or None (forged, foreign, garbled)."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("w") != widget.pk:
        return None
    visitor_id = data.get("v")
    if not isinstance(visitor_id, str) or not 8 <= len(visitor_id) <= 64:
        return None
    return visitor_id


def access_visitor(public_key: str, token: str) -> Visitor:
    """The visitor behind a token of this widget; VisitorRefused or NotFound otherwise."""
    widget = access_widget(public_key)
    visitor_id = read_token(widget, token)
    if visitor_id is None:
        raise VisitorRefused(errors.BAD_TOKEN, _("This chat session is not valid here."))
    return Visitor(widget=widget, visitor_id=visitor_id)


def current_session(visitor: Visitor, *, for_update: bool = False) -> ChatSession | None:
    """The visitor's open session (the latest not ended), if any."""
    sessions = ChatSession.objects.filter(
        widget_id=visitor.widget.pk, visitor_id=visitor.visitor_id, state__in=OPEN_STATES
    )
    if for_update:
        sessions = sessions.select_for_update(of=("self",))
    return sessions.select_related("agent", "ticket").order_by("-id").first()


def latest_session(visitor: Visitor) -> ChatSession | None:
    """The visitor's latest session, open or ended (an ended one may still be rated)."""
    return (
        ChatSession.objects.filter(widget_id=visitor.widget.pk, visitor_id=visitor.visitor_id)
        .select_related("agent", "ticket")
        .order_by("-id")
        .first()
    )


def _team_ids(user: User) -> QuerySet[Team]:
    return Team.objects.filter(members=user)


def visible_sessions(user: User) -> QuerySet[ChatSession]:
    """Sessions this agent may see: their teams' widgets', and their own."""
    sessions = ChatSession.objects.filter(ticket__isnull=False)
    if not user.is_active or not user.is_agent:
        return sessions.none()
    if user.is_admin:
        return sessions
    return sessions.filter(Q(widget__team__in=_team_ids(user)) | Q(agent_id=user.pk))


def access_chat(user: User, session_id: int, *, for_update: bool = False) -> ChatSession:
    """A session the agent may work on; NotFound otherwise."""
    sessions = visible_sessions(user).filter(pk=session_id)
    if for_update:
        sessions = sessions.select_for_update(of=("self",))
    found = sessions.select_related("widget", "ticket", "agent").first()
    if found is None:
        raise NotFound(_("chat"))
    return found


def access_transcript(user: User, session_id: int) -> ChatSession:
    """A session whose transcript the agent may read: a chat they may work on whose
    ticket they may also see (a ticket moved to another team takes its notes along)."""
    session = access_chat(user, session_id)
    if session.ticket is None:
        raise NotFound(_("chat"))
    if not visible_tickets(user).filter(pk=session.ticket.pk).exists():
        raise NotFound(_("chat"))
    return session


def may_work_in(user: User, team_id: int) -> bool:
    """Whether the agent takes chats of this team."""
    if not user.is_active or not user.is_agent:
        return False
    return user.is_admin or _team_ids(user).filter(pk=team_id).exists()


def access_agent_chats(user: User) -> User:
    """Only agents work chats."""
    if not user.is_active or not user.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents work chats."))
    return user


def access_presence(user: User) -> User:
    """Only agents have a presence (online, away, offline): customers get no work."""
    if not user.is_active or not user.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents have a presence."))
    return user


def access_widgets(user: User) -> User:
    """Only admins set widgets up."""
    if not user.is_active or not user.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators manage chat widgets."))
    return user


def access_widget_for_admin(user: User, widget_id: int) -> ChatWidget:
    access_widgets(user)
    widget = ChatWidget.objects.select_related("team").filter(pk=widget_id).first()
    if widget is None:
        raise NotFound(_("chat widget"))
    return widget


def agent_chats(user: User) -> list[ChatSession]:
    """The agent's own open chats and the waiting or offered ones of their teams."""
    mine = Q(agent_id=user.pk, state=SessionState.ACTIVE) | Q(offered_to_id=user.pk)
    waiting = Q(state__in=(SessionState.WAITING, SessionState.OFFERED))
    if not user.is_admin:
        waiting &= Q(widget__team__in=_team_ids(user))
    return list(
        visible_sessions(user)
        .filter(mine | waiting)
        .select_related("widget", "ticket", "agent")
        .order_by("created_at", "id")[:200]
    )


def presence_of(user: User) -> AgentPresence:
    found = AgentPresence.objects.filter(agent_id=user.pk).first()
    return found if found is not None else AgentPresence(agent=user)


def presence_status(user: User) -> str:
    """The agent's presence status alone (the workspace's switch shows it on every page)."""
    found = AgentPresence.objects.filter(agent_id=user.pk).values_list("status", flat=True)
    return found.first() or PresenceStatus.OFFLINE


def active_load(agent_ids: list[int]) -> dict[int, int]:
    """How many chats each agent has now (active ones and offers waiting for them)."""
    load: dict[int, int] = dict.fromkeys(agent_ids, 0)
    rows = (
        ChatSession.objects.filter(
            Q(agent_id__in=agent_ids, state=SessionState.ACTIVE)
            | Q(offered_to_id__in=agent_ids, state=SessionState.OFFERED)
        )
        .values("agent_id", "offered_to_id", "state")
        .annotate(n=Count("id"))
    )
    for row in rows:
        who = row["agent_id"] if row["state"] == SessionState.ACTIVE else row["offered_to_id"]
        if who in load:
            load[who] += row["n"]
    return load


def team_online(team_id: int) -> bool:
    """Whether any agent of the team is online for chats now."""
    return AgentPresence.objects.filter(
        status=PresenceStatus.ONLINE,
        agent__is_active=True,
        agent__teams=team_id,
    ).exists()


def team_agent_ids(team_id: int) -> list[int]:
    """The team's active agents, online or not: each sees the chats waiting in it."""
    return list(
        User.objects.filter(teams=team_id, is_active=True, role__in=STAFF).values_list(
            "pk", flat=True
        )
    )


def chat_agents() -> list[tuple[User, AgentPresence]]:
    """Every active agent with their presence (a default one if they never chose)."""
    agents = list(User.objects.filter(is_active=True, role__in=STAFF).order_by("name", "email"))
    presences = {p.agent_id: p for p in AgentPresence.objects.filter(agent__in=agents)}
    return [(a, presences.get(a.pk) or AgentPresence(agent=a)) for a in agents]


def access_chat_agent(user: User, agent_id: int) -> User:
    """An agent whose chat settings an administrator changes; NotFound otherwise."""
    access_widgets(user)
    agent = User.objects.filter(pk=agent_id, is_active=True, role__in=STAFF).first()
    if agent is None:
        raise NotFound(_("agent"))
    return agent


def presences(agent_ids: list[int]) -> dict[int, Presence]:
    """Each agent's presence, as ticket routing reads it (registered in `apps.py`): an
    agent's status applies to tickets as it does to chats."""
    return {
        agent_id: Presence(status, since)
        for agent_id, status, since in AgentPresence.objects.filter(
            agent_id__in=agent_ids
        ).values_list("agent_id", "status", "updated_at")
    }
