"""A ticket's conversation one window at a time: the newest messages first, earlier ones
on request, however long the thread grows.

A window is found by a keyset condition on (created_at, id) read backwards through the
`message_ticket` index, so the newest page of a 5,000-message ticket costs what the
newest page of a five-message one does. The cursor names the oldest message shown; the
window before it is "the messages strictly before this position".
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan  # type: ignore[import-untyped]
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import ValidationFailed
from opora.tickets import errors
from opora.tickets.models import Message, Ticket
from opora.tickets.selectors import visible_messages

# The ticket page's window: what an agent reads before scrolling back.
PAGE_MESSAGES = 30
# The API's: the default keeps the answer of every thread up to this length as it was
# before pagination (the whole conversation, oldest first).
API_MESSAGES = 100
API_MAX_MESSAGES = 200


@dataclass(frozen=True)
class Window:
    """Messages oldest first; `earlier`: the cursor of the window before (None when
    this one starts the conversation)."""

    messages: list[Message]
    earlier: str | None


def encode_position(message: Message) -> str:
    """An opaque cursor for "before this message": its time and id."""
    raw = f"{message.created_at.isoformat()}|{message.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str) -> tuple[datetime, int]:
    """(created_at, id) of a cursor from encode_position; a 422 for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, _sep, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not pk.isascii() or not pk.isdigit() or len(pk) > 19:
            raise ValueError(cursor)
        return moment, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            errors.INVALID, _("This cursor is not one the desk gave out."), field="before"
        ) from None


def message_window(
    user: User, ticket: Ticket, *, before: str | None = None, limit: int = PAGE_MESSAGES
) -> Window:
    """The `limit` newest messages the user may read (before the cursor, if given), with
    their authors and attachments: two queries whatever the thread's length."""
    messages = visible_messages(user, ticket).order_by("-created_at", "-id")
    if before:
        moment, pk = decode_position(before)
        messages = messages.filter(TupleLessThan(Tuple(F("created_at"), F("id")), (moment, pk)))
    found = list(messages[: limit + 1])
    more = len(found) > limit
    shown = found[:limit]
    shown.reverse()
    return Window(shown, encode_position(shown[0]) if more and shown else None)


__all__ = ["API_MAX_MESSAGES", "API_MESSAGES", "PAGE_MESSAGES", "Window", "message_window"]
