"""Who opened a WebSocket connection: registered with core's realtime plumbing at start.

Scripts send "Authorization: Bearer <token>"; browsers come with their session, which
Channels' AuthMiddlewareStack has already put in the scope.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from opora.accounts.actions import authenticate_token
from opora.accounts.models import User


@database_sync_to_async
def _token_user(raw: str) -> User | None:
    return authenticate_token(raw)


async def connection_user(scope: dict[str, Any]) -> User | None:
    """The signed-in user of a WebSocket connection's scope, or None."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return await _token_user(token.strip()) if scheme.lower() == "bearer" else None
    user = scope.get("user")
    return user if isinstance(user, User) and user.is_authenticated else None
