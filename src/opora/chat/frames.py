"""What travels on the chat sockets (docs/chat.md): messages `M`, chats `C`, sessions.

Built from rows already loaded where possible; every reader of a frame may be on
another node, so frames are plain JSON-ready dicts.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Prefetch

from opora.accounts.models import User
from opora.automation.bot import BOT_EMAIL
from opora.chat.models import ChatSession, agent_group, visitor_group
from opora.core.realtime import publish_to_groups
from opora.core.transaction import after_commit
from opora.tickets.models import Attachment, Message, Ticket

FILE_SALT = "opora.chat.file"
HISTORY_LIMIT = 500


def file_url(attachment: Attachment) -> str:
    """A link the visitor's browser can open on any site: signed, no cookie needed."""
    signed = signing.dumps(attachment.pk, salt=FILE_SALT)
    return f"{settings.BASE_URL}/chat/files/{signed}"


def attachment_for_link(signed: str) -> int | None:
    try:
        value = signing.loads(signed, salt=FILE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def external_id(session_id: int, client_id: str, *, agent: bool = False) -> str:
    """The key that stores a message sent twice once: `chat:<session>:<client_id>` for
    the visitor's, `chat:<session>:a:<client_id>` for the desk's (client ids hold no
    colon, so the two never meet). Frames carry the client id alone."""
    return f"chat:{session_id}:a:{client_id}" if agent else f"chat:{session_id}:{client_id}"


def _client_id(message: Message) -> str | None:
    parts = message.external_id.split(":")
    if len(parts) < 3 or parts[0] != "chat":
        return None
    return parts[-1] or None


def files_text(names: list[str]) -> str:
    """The text a message of files alone is stored with (the ticket page and search
    show it); the chat shows such a message as its files only."""
    return ", ".join(names)


def _shown_text(message: Message, attachments: list[Attachment]) -> str:
    stored = sorted(attachments, key=lambda a: a.pk)  # in the order they were sent
    if stored and message.body == files_text([a.filename for a in stored]):
        return ""
    return message.body


def author_kind(message: Message, requester_id: int | None) -> str:
    if message.author_id is None:
        return "system"
    if message.author_id == requester_id:
        return "visitor"
    author = message.author
    if author is not None and author.email == BOT_EMAIL:
        return "bot"
    return "agent"


def _file_url(attachment: Attachment, *, internal: bool) -> str:
    # A note's files are for the desk: the agents' download, behind their sign-in.
    return f"/api/v1/attachments/{attachment.pk}" if internal else file_url(attachment)


def message_frame(message: Message, requester_id: int | None) -> dict[str, Any]:
    """`M`: one message of the conversation (internal notes only ever go to agents)."""
    kind = author_kind(message, requester_id)
    attachments = list(message.attachments.all())
    text = _shown_text(message, attachments)
    author = message.author
    name = ""
    if author is not None and kind != "visitor":
        # Agents are named, never their addresses.
        name = author.name or author.email.partition("@")[0]
    elif author is not None:
        name = author.name
    return {
        "id": message.pk,
        "author": kind,
        "name": name,
        "text": text,
        "html": message.body_html if text else "",
        "attachments": [
            {
                "name": a.filename,
                "url": _file_url(a, internal=message.internal),
                "size": a.size,
                "content_type": a.content_type,
            }
            for a in attachments
        ],
        "created_at": message.created_at.isoformat(),
        "client_id": _client_id(message),
        "internal": message.internal,
    }


def messages_after(ticket_id: int | None, after: int = 0, *, notes: bool = False) -> list[Message]:
    """The public messages of a chat's ticket after a message id, oldest first (with
    the internal notes too for `notes`: agents only)."""
    if ticket_id is None:
        return []
    messages = Message.objects.filter(ticket_id=ticket_id, id__gt=after)
    if not notes:
        messages = messages.filter(internal=False)
    return list(
        messages.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("id")[:HISTORY_LIMIT]
    )


def history(
    session: ChatSession | None, after: int = 0, *, notes: bool = False
) -> list[dict[str, Any]]:
    """The transcript as the visitor saw it (plus the notes, marked, for agents)."""
    if session is None or session.ticket_id is None:
        return []
    requester_id = session.requester_id
    return [
        message_frame(m, requester_id)
        for m in messages_after(session.ticket_id, after, notes=notes)
    ]


def agent_name(agent: User | None) -> str | None:
    if agent is None:
        return None
    return agent.name or agent.email.partition("@")[0]


def session_frame(session: ChatSession | None) -> dict[str, Any] | None:
    """The visitor's view of their session."""
    if session is None:
        return None
    ticket: Ticket | None = session.ticket if session.ticket_id else None
    return {
        "id": session.pk,
        "state": session.state,
        "agent": agent_name(session.agent) if session.agent_id else None,
        "ticket": ticket.number if ticket is not None else None,
        "rating_asked": session.rating_asked,
        "visitor_read_up_to": session.visitor_read_up_to,
        "agent_read_up_to": session.agent_read_up_to,
        "name": session.name,
        "email": session.email,
    }


_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Yandex Browser", re.compile(r"YaBrowser/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[\d.]* (?:Mobile/\S+ )?Safari/")),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def browser_of(user_agent: str) -> str:
    """ "Firefox 128 on Linux" from a User-Agent header; "" when unknown."""
    if not user_agent:
        return ""
    browser = ""
    for name, pattern in _BROWSERS:
        found = pattern.search(user_agent)
        if found:
            browser = f"{name} {found.group(1)}"
            break
    system = next((label for marker, label in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent[:60]


def _past_tickets(session: ChatSession) -> dict[str, Any]:
    if session.requester_id is None:
        return {"count": 0, "recent": []}
    others = Ticket.objects.filter(requester_id=session.requester_id)
    if session.ticket_id is not None:
        others = others.exclude(pk=session.ticket_id)
    recent = list(others.order_by("-created_at", "-id").values("number", "subject", "status")[:5])
    return {
        "count": others.count() if len(recent) == 5 else len(recent),
        "recent": [{**row, "url": f"/agent/tickets/{row['number']}"} for row in recent],
    }


def chat_frame(session: ChatSession) -> dict[str, Any]:
    """`C`: a chat as agents see it."""
    ticket = session.ticket
    last = (
        Message.objects.filter(ticket_id=session.ticket_id, internal=False)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("-id")
        .first()
        if session.ticket_id
        else None
    )
    unread = (
        Message.objects.filter(
            ticket_id=session.ticket_id,
            internal=False,
            author_id=session.requester_id,
            id__gt=session.agent_read_up_to,
        ).count()
        if session.ticket_id and session.requester_id
        else 0
    )
    return {
        "id": session.pk,
        "ticket": ticket.number if ticket is not None else None,
        "subject": ticket.subject if ticket is not None else "",
        "state": session.state,
        "visitor": {
            "name": session.name,
            "email": session.email,
            "language": session.language,
            "page_url": session.page_url,
            "browser": browser_of(session.user_agent),
            "past_tickets": _past_tickets(session),
        },
        "agent_id": session.agent_id,
        "offered_to": session.offered_to_id,
        "unread": unread,
        "last_message": message_frame(last, session.requester_id) if last else None,
        "created_at": session.created_at.isoformat(),
        "waiting_since": session.waiting_since.isoformat() if session.waiting_since else None,
    }


def frame(payload: dict[str, Any]) -> dict[str, Any]:
    """A channel-layer message that the chat consumers pass on to their socket as is."""
    return {"type": "chat.frame", "frame": payload}


def send_after_commit(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Publish (group, frame) pairs once the current transaction commits."""
    if messages:
        after_commit(publish_to_groups, [(group, frame(f)) for group, f in messages])


__all__ = ["agent_group", "visitor_group"]
