"""Who gets a chat: the least-loaded online agent of the widget's team.

1st-line agents come before 2nd and 3rd (an agent without a line counts as 1st); among
them the one with the fewest chats (active ones plus offers waiting for them); nobody
over their capacity, nobody who passed on this chat in this round. The chosen agent
gets an `offer` frame and `OPORA_CHAT_OFFER_SECONDS` to accept; a pass or the time
running out offers it to the next. When everyone who could take it has passed, a new
round starts one offer period after the last pass, in the same order (round-robin): a
chat never waits silently. Every agent of the team sees it waiting meanwhile and may
take it. Checked on every routing event (a new chat, a pass, an agent coming online or
ending a chat) and by a periodic job, which also takes agents not heard from for
`OPORA_CHAT_PRESENCE_GRACE_SECONDS` offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from opora.accounts.models import AccountEventKind, User
from opora.accounts.twofactor import record_event
from opora.automation import routing as ticket_routing
from opora.chat.frames import chat_frame, send_after_commit
from opora.chat.models import (
    AgentPresence,
    ChatSession,
    PresenceStatus,
    SessionState,
    agent_group,
    visitor_group,
)
from opora.chat.selectors import active_load, team_agent_ids, team_online
from opora.core import clock as wall_clock


def _candidates(session: ChatSession, passed: set[int]) -> list[User]:
    line = session.ticket.line if session.ticket is not None else 1
    presences = {
        p.agent_id: p
        for p in AgentPresence.objects.filter(
            status=PresenceStatus.ONLINE,
            agent__is_active=True,
            agent__role__in=("agent", "admin"),
            agent__teams=session.widget.team_id,
        ).select_related("agent")
    }
    ids = [pk for pk in presences if pk not in passed]
    if not ids:
        return []
    load = active_load(ids)
    chosen = [
        presences[pk]
        for pk in ids
        if load[pk] < presences[pk].capacity and (presences[pk].agent.support_line or 1) >= line
    ]
    chosen.sort(key=lambda p: (p.agent.support_line or 1, load[p.agent_id], p.updated_at, p.pk))
    return [p.agent for p in chosen]


def _round_over(session: ChatSession) -> bool:
    """Everyone passed: a new round may start once an offer period has gone by."""
    if not session.passed_by:
        return False
    pause = timedelta(seconds=settings.CHAT_OFFER_SECONDS)
    return session.passed_at is None or session.passed_at <= wall_clock.now() - pause


def route(session_id: int) -> User | None:
    """Offer a waiting chat to the best agent now; None when nobody can take it."""
    with transaction.atomic():
        session = (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("widget", "ticket")
            .filter(pk=session_id, state=SessionState.WAITING)
            .first()
        )
        if session is None:
            return None
        candidates = _candidates(session, {int(pk) for pk in session.passed_by})
        if not candidates and _round_over(session):
            candidates = _candidates(session, set())
            if candidates:
                session.passed_by = []
        if not candidates:
            return None
        agent = candidates[0]
        session.state = SessionState.OFFERED
        session.offered_to = agent
        session.offered_at = wall_clock.now()
        session.save(update_fields=["state", "offered_to", "offered_at", "passed_by"])
        send_after_commit(
            [
                (
                    agent_group(agent.pk),
                    {
                        "type": "offer",
                        "chat": chat_frame(session),
                        "expires_in": settings.CHAT_OFFER_SECONDS,
                    },
                ),
                (visitor_group(session.widget_id, session.visitor_id), state_frame(session)),
            ]
        )
        tell_team(session, besides=[agent.pk])
        return agent


def state_frame(session: ChatSession) -> dict[str, object]:
    agent = session.agent if session.agent_id else None
    return {
        "type": "state",
        "state": session.state,
        "agent": (agent.name or agent.email.partition("@")[0]) if agent else None,
        "online": team_online(session.widget.team_id),
    }


def tell_team(session: ChatSession, *, besides: Iterable[int] = ()) -> None:
    """Every agent of the chat's team hears that it changed (after commit): each inbox
    lists the chats waiting in the team, so that anyone can take one."""
    skip = set(besides)
    frame = {"type": "chat", "chat": chat_frame(session)}
    send_after_commit(
        [
            (agent_group(pk), frame)
            for pk in team_agent_ids(session.widget.team_id)
            if pk not in skip
        ]
    )


def announce_waiting(session: ChatSession) -> None:
    """Tell the team's agents that a chat waits (after commit)."""
    tell_team(session)


def requeue(session: ChatSession, *, passed: User | None) -> None:
    """Take a locked offered chat back from its agent (who passed, or let it lapse)."""
    if passed is not None:
        if passed.pk not in session.passed_by:
            session.passed_by = [*session.passed_by, passed.pk]
        session.passed_at = wall_clock.now()
    session.state = SessionState.WAITING
    session.offered_to = None
    session.offered_at = None
    session.save(update_fields=["state", "offered_to", "offered_at", "passed_by", "passed_at"])
    tell_team(session)


def withdraw_offers(agent: User) -> None:
    """The agent is no longer online: their offers move on (after commit)."""
    offered = ChatSession.objects.select_for_update(of=("self",)).filter(
        state=SessionState.OFFERED, offered_to=agent
    )
    for session in offered.select_related("widget", "ticket"):
        requeue(session, passed=agent)
        transaction.on_commit(lambda pk=session.pk: route(pk))  # type: ignore[misc]


def expire_offers() -> int:
    """Offers not accepted in time go to the next agent; returns how many lapsed."""
    due = wall_clock.now() - timedelta(seconds=settings.CHAT_OFFER_SECONDS)
    lapsed = list(
        ChatSession.objects.filter(state=SessionState.OFFERED, offered_at__lte=due)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    for session_id in lapsed:
        with transaction.atomic():
            session = (
                ChatSession.objects.select_for_update(of=("self",))
                .select_related("widget", "ticket", "offered_to")
                .filter(pk=session_id, state=SessionState.OFFERED, offered_at__lte=due)
                .first()
            )
            if session is None:
                continue
            requeue(session, passed=session.offered_to)
        route(session_id)
    return len(lapsed)


def expire_presence() -> int:
    """Agents online or away whose chat sockets have not been heard from within the
    grace period go offline, and their offers move on; returns how many."""
    cutoff = wall_clock.now() - timedelta(seconds=settings.CHAT_PRESENCE_GRACE_SECONDS)
    unseen = (PresenceStatus.ONLINE, PresenceStatus.AWAY)
    ids = list(
        AgentPresence.objects.filter(status__in=unseen, last_seen_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    gone = 0
    for presence_id in ids:
        with transaction.atomic():
            presence = (
                AgentPresence.objects.select_for_update()
                .select_related("agent")
                .filter(pk=presence_id, status__in=unseen, last_seen_at__lt=cutoff)
                .first()
            )
            if presence is None:
                continue  # heard from meanwhile
            was = presence.status
            presence.status = PresenceStatus.OFFLINE
            presence.updated_at = wall_clock.now()
            presence.save(update_fields=["status", "updated_at"])
            presence_changed(presence.agent, was, presence.status, via="timeout")
            withdraw_offers(presence.agent)
            send_after_commit([(agent_group(presence.agent_id), presence_frame(presence))])
            gone += 1
    return gone


# Changes the desk makes on its own (no page heard from; idle too long): no one's choice.
AUTOMATIC = frozenset({"idle", "timeout"})


def presence_changed(agent: User, was: str, status: str, *, via: str) -> None:
    """In the change's transaction: the account's trail keeps it (by the agent, or by
    nobody when the desk changed it), and an agent who came online drains their teams'
    ticket queues after commit (the chats are routed by the caller)."""
    if was == status:
        return
    by = None if via in AUTOMATIC else agent
    record_event(
        agent,
        AccountEventKind.PRESENCE_CHANGED,
        by=by,
        previous=str(was),
        status=str(status),
        via=via,
    )
    if status == PresenceStatus.ONLINE:
        ticket_routing.agent_online(agent.pk)


def presence_frame(presence: AgentPresence) -> dict[str, object]:
    """`{"type": "presence", ...}`: the agent's status, capacity and chats now."""
    return {
        "type": "presence",
        "status": presence.status,
        "capacity": presence.capacity,
        "active_chats": active_load([presence.agent_id])[presence.agent_id],
    }


def route_waiting(team_id: int | None = None) -> int:
    """Offer every waiting chat (of one team) that someone can take; returns how many."""
    waiting = ChatSession.objects.filter(state=SessionState.WAITING, ticket__isnull=False)
    if team_id is not None:
        waiting = waiting.filter(widget__team_id=team_id)
    offered = 0
    for session_id in waiting.order_by("id").values_list("id", flat=True)[:500]:
        if route(session_id) is not None:
            offered += 1
    return offered


def sweep() -> int:
    """The periodic check: unseen agents go offline, lapsed offers move on, waiting
    chats find agents (a new round once everyone passed)."""
    return expire_presence() + expire_offers() + route_waiting()
