"""Who opened a WebSocket connection: registered with core's realtime plumbing at start.

Scripts send "Authorization: Bearer <token>"; browsers come with their session, which
Channels' AuthMiddlewareStack has already put in the scope. A token must have the scope
the socket needs: `read` to listen to the queue, `tickets` for the agent's chat, which
sends replies (`accounts/tokens.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async

from opora.accounts import tokens
from opora.accounts.models import User
from opora.core.errors import OporaError
from opora.core.realtime import EVERY_TICKET, TRIAGE, agent_group, team_group, triage_group


@database_sync_to_async
def _token_user(raw: str, needs: str) -> User | None:
    try:
        return tokens.authenticate(raw, needs=needs)
    except OporaError:  # expired, or made for less: the socket is refused like any other
        return None


async def connection_user(scope: dict[str, Any], *, needs: str) -> User | None:
    """The signed-in user of a WebSocket connection's scope, or None.

    `needs`: the token scope this socket requires (a session is not limited by scopes).
    """
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            found: User | None = await _token_user(token.strip(), needs)
            return found
    user = scope.get("user")
    return user if isinstance(user, User) and user.is_authenticated else None


@dataclass(frozen=True)
class QueueListener:
    """A connection to the live queue: who it is and which tickets' changes it hears —
    the tickets the person may open (docs/architecture.md, "who sees which ticket")."""

    is_active: bool
    is_agent: bool
    queue_groups: tuple[str, ...]


@database_sync_to_async
def _groups_of(user: User) -> tuple[str, ...]:
    if user.is_admin:
        return (EVERY_TICKET,)
    teams = list(user.teams.values_list("pk", flat=True))
    groups = (TRIAGE, agent_group(user.pk), *(team_group(pk) for pk in teams))
    if user.is_team_lead:  # leads also hear of tickets hidden from plain agents
        groups += (
            triage_group(restricted=True),
            agent_group(user.pk, restricted=True),
            *(team_group(pk, restricted=True) for pk in teams),
        )
    return groups


async def queue_listener(scope: dict[str, Any]) -> QueueListener | None:
    """The listener behind a connection to the live queue, or None."""
    user = await connection_user(scope, needs=tokens.READ)
    if user is None:
        return None
    groups = await _groups_of(user) if user.is_agent else ()
    return QueueListener(user.is_active, user.is_agent, groups)
