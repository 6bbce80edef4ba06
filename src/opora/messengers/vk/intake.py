"""A Callback API event of a VK community, taken in by a job after the desk said "ok".

- `message_new`: a person's private message to the community (text; photos, the
  largest size, and documents, fetched from the addresses VK gives and stored as
  attachments) joins the ticket of that chat, or opens one.
- `wall_reply_new`: a person's comment under one of the community's posts joins the
  ticket of that person's thread under that post, or opens one (its subject from the
  post); the desk's public replies go back as comments answering theirs.
- `message_deny` / `message_allow`: the person refused (or allowed again) the
  community's messages: their chat is marked unreachable (or reachable).
- Anything else (the community's own comments, group chats, other event types) is
  noted with a log line and ignored.

Messages and comments never mix: each VK chat and each thread under a post is its own
conversation with its own ticket (a private word never goes out on the wall).
"""

from __future__ import annotations

import io
import logging
import mimetypes
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.utils.translation import gettext as _

from opora.accounts.identities import Contact
from opora.accounts.models import IdentityKind
from opora.core import clock
from opora.core.errors import OporaError
from opora.messengers.conversations import Arrived, mark_unreachable, store
from opora.messengers.models import Conversation, VkCommunity, VkEvent
from opora.messengers.vk import actions, client
from opora.tickets.attachments import IncomingFile, check_attachments, clean_filename
from opora.tickets.models import Channel

logger = logging.getLogger("opora.messengers.vk")

# What became of an event.
MESSAGE = "message"
COMMENT = "comment"
DENIED = "denied"
ALLOWED = "allowed"
IGNORED = "ignored"
DUPLICATE = "duplicate"
# peer_id above this is a group chat, not a person's private chat with the community.
CHAT_PEERS = 2_000_000_000
SUBJECT_LIMIT = 80


@dataclass(frozen=True)
class FileRef:
    url: str
    name: str
    content_type: str
    size: int | None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _finish(event: VkEvent, outcome: str) -> bool:
    """Note the event handled; False when it was already."""
    return bool(
        VkEvent.objects.filter(pk=event.pk, handled_at__isnull=True).update(
            handled_at=clock.now(), outcome=outcome
        )
    )


def _claim(event: VkEvent, outcome: str) -> None:
    """`store`'s note of the event: IntegrityError when another run took it first."""
    if not _finish(event, outcome):
        raise IntegrityError(f"vk event {event.pk} was handled already")


def take(event_pk: int) -> str:
    """Handle one stored event; what became of it."""
    event = VkEvent.objects.select_related("community").filter(pk=event_pk).first()
    if event is None or event.handled_at is not None:
        return DUPLICATE
    VkEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    community = event.community
    found = event.payload.get("object") if isinstance(event.payload, dict) else None
    obj = found if isinstance(found, dict) else {}
    if not community.active:
        return _ignore(event, "the community is turned off")
    if event.kind == "message_new":
        return _message(event, community, obj)
    if event.kind == "wall_reply_new":
        return _comment(event, community, obj)
    if event.kind in ("message_deny", "message_allow"):
        return _permission(event, community, obj)
    return _ignore(event, f"type {event.kind}")


def _ignore(event: VkEvent, why: str) -> str:
    logger.info("vk community %s: event %s ignored (%s)", event.community_id, event.pk, why)
    return IGNORED if _finish(event, IGNORED) else DUPLICATE


def _contact(community: VkCommunity, user_id: int) -> Contact:
    """The person, named as VK names them (users.get); their id if VK does not say."""
    name = ""
    try:
        found = client.person(client.Endpoint.of(community), user_id)
        name = " ".join(
            str(found.get(part) or "").strip() for part in ("first_name", "last_name")
        ).strip()
    except Exception as exc:
        error = client.describe(exc, community.token)
        actions.note_result(community, error=error)
        logger.warning("vk community %s: users.get failed: %s", community.pk, error)
    return Contact(
        kind=IdentityKind.VK,
        value=str(user_id),
        name=name or f"VK id{user_id}",
        language=community.language,
    )


def _message(event: VkEvent, community: VkCommunity, obj: dict[str, Any]) -> str:
    # Since API 5.103 the message is under "message"; before, it was the object itself.
    found = obj.get("message", obj)
    message = found if isinstance(found, dict) else {}
    sender = _int(message.get("from_id"))
    peer = _int(message.get("peer_id"))
    if sender is None or sender <= 0 or peer != sender or peer >= CHAT_PEERS:
        return _ignore(event, "not a person's private message")
    text = _str(message.get("text"))
    refs = _files(message.get("attachments"))
    if not text.strip() and not refs:
        return _ignore(event, "a message with no text or file the desk takes")
    files, left_out = _fetch(community, refs)
    body = "\n".join(p for p in [text.strip(), *left_out] if p) or ", ".join(f.name for f in files)
    chat_id = str(peer)
    number = _int(message.get("id")) or _int(message.get("conversation_message_id")) or 0
    stored = store(
        Arrived(
            channel=Channel.VK,
            account_id=community.pk,
            chat_id=chat_id,
            contact=_contact(community, sender),
            body=body,
            external_id=f"vk:{community.group_id}:m:{number}"
            if number
            else f"vk:{community.group_id}:e:{event.event_id}",
            attachments=files,
            team_id=community.team_id,
            ticket_id=_ticket_of(community, chat_id),
            only_named=True,
        ),
        lambda: _claim(event, MESSAGE),
    )
    return MESSAGE if stored is not None else DUPLICATE


def _comment(event: VkEvent, community: VkCommunity, obj: dict[str, Any]) -> str:
    author = _int(obj.get("from_id"))
    owner = _int(obj.get("post_owner_id", obj.get("owner_id")))
    post = _int(obj.get("post_id"))
    number = _int(obj.get("id"))
    if author is None or author <= 0:
        # The community's own comments (the desk's replies among them), other groups'.
        return _ignore(event, "a comment not written by a person")
    if owner != -community.group_id or post is None or number is None:
        return _ignore(event, "a comment under another wall's post")
    text = _str(obj.get("text"))
    refs = _files(obj.get("attachments"))
    if not text.strip() and not refs:
        return _ignore(event, "a comment with no text or file the desk takes")
    files, left_out = _fetch(community, refs)
    link = f"https://vk.com/wall{owner}_{post}?reply={number}"
    body = "\n".join(p for p in [text.strip(), *left_out] if p) or ", ".join(f.name for f in files)
    chat_id = wall_chat(owner, post, author)
    stored = store(
        Arrived(
            channel=Channel.VK,
            account_id=community.pk,
            chat_id=chat_id,
            contact=_contact(community, author),
            body=f"{body}\n\n{link}",
            external_id=f"{wall_thread(community.group_id, owner, post)}{number}",
            attachments=files,
            team_id=community.team_id,
            subject=_subject(community, owner, post, body),
            ticket_id=_ticket_of(community, chat_id),
            only_named=True,
        ),
        lambda: _claim(event, COMMENT),
    )
    return COMMENT if stored is not None else DUPLICATE


def wall_chat(owner: int, post: int, author: int) -> str:
    """The conversation key of one person's thread under one post."""
    return f"wall{owner}_{post}:{author}"


def wall_thread(group_id: int, owner: int, post: int) -> str:
    """The start of the external id of every comment under one post."""
    return f"vk:{group_id}:wall{owner}_{post}:"


def _subject(community: VkCommunity, owner: int, post: int, comment: str) -> str:
    """The post's first line (wall.getById), else the comment's."""
    text = ""
    try:
        text = client.post_text(client.Endpoint.of(community), owner, post)
    except Exception as exc:
        logger.info(
            "vk community %s: the post's text was not read: %s",
            community.pk,
            client.describe(exc, community.token),
        )
    first = next((line.strip() for line in (text or comment).splitlines() if line.strip()), "")
    if len(first) > SUBJECT_LIMIT:
        first = first[: SUBJECT_LIMIT - 1] + "…"
    return first


def _ticket_of(community: VkCommunity, chat_id: str) -> int | None:
    found = (
        Conversation.objects.filter(channel=Channel.VK, account_id=community.pk, chat_id=chat_id)
        .values_list("ticket_id", flat=True)
        .first()
    )
    return found


def _permission(event: VkEvent, community: VkCommunity, obj: dict[str, Any]) -> str:
    user = _int(obj.get("user_id"))
    if user is None or user <= 0:
        return _ignore(event, "no user_id")
    chat = Conversation.objects.filter(
        channel=Channel.VK, account_id=community.pk, chat_id=str(user)
    ).first()
    denied = event.kind == "message_deny"
    outcome = DENIED if denied else ALLOWED
    if not _finish(event, outcome):
        return DUPLICATE
    if chat is not None:
        if denied:
            mark_unreachable(chat, _("The person refused the community's messages on VK."))
        else:
            Conversation.objects.filter(pk=chat.pk).update(
                unreachable_at=None, unreachable_reason=""
            )
    return outcome


def _files(attachments: Any) -> list[FileRef]:
    """The photos (largest size) and documents of a message or comment."""
    found: list[FileRef] = []
    for item in attachments if isinstance(attachments, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        data = item.get(kind) if isinstance(kind, str) else None
        if not isinstance(data, dict):
            continue
        if kind == "photo":
            ref = _photo(data)
        elif kind == "doc":
            ref = _doc(data)
        else:
            ref = None
        if ref is not None:
            found.append(ref)
    return found


def _photo(photo: dict[str, Any]) -> FileRef | None:
    sizes = [
        s for s in photo.get("sizes") or [] if isinstance(s, dict) and isinstance(s.get("url"), str)
    ]
    if not sizes:
        return None

    def area(size: dict[str, Any]) -> int:
        return (_int(size.get("width")) or 0) * (_int(size.get("height")) or 0)

    largest = max(sizes, key=area)
    name = f"photo{_int(photo.get('owner_id')) or 0}_{_int(photo.get('id')) or 0}.jpg"
    return FileRef(largest["url"], name, "image/jpeg", None)


def _doc(doc: dict[str, Any]) -> FileRef | None:
    url = doc.get("url")
    if not isinstance(url, str):
        return None
    title = _str(doc.get("title"))
    ext = _str(doc.get("ext"))
    name = clean_filename(title or f"doc{_int(doc.get('id')) or 0}")
    if ext and not name.lower().endswith(f".{ext.lower()}"):
        name = f"{name}.{ext}"
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileRef(url, name, content_type, _int(doc.get("size")))


def _fetch(community: VkCommunity, refs: list[FileRef]) -> tuple[list[IncomingFile], list[str]]:
    """The files the desk takes, and a line for each it could not (kept in the text, so
    the agent knows something was sent)."""
    limit = settings.MAX_ATTACHMENT_MB * 1024 * 1024
    wanted: list[FileRef] = []
    left_out: list[str] = []
    for ref in refs:
        try:
            check_attachments(
                [IncomingFile(name=ref.name, content=io.BytesIO(), size=ref.size or 0)]
            )
        except OporaError as exc:
            left_out.append(f"[{ref.name}: {exc.message}]")
            continue
        if not client.allowed_file_url(ref.url, community.api_base):
            logger.warning("vk community %s: a file at an unknown host left out", community.pk)
            left_out.append(f"[{ref.name}: {_('could not be fetched from VK')}]")
            continue
        wanted.append(ref)
    files: list[IncomingFile] = []
    for ref in wanted:
        try:
            [data] = client.download(client.Endpoint.of(community), [ref.url], limit=limit)
        except client.FileTooLarge:
            note = _("larger than the %(limit)s MB limit, not stored") % {
                "limit": settings.MAX_ATTACHMENT_MB
            }
            left_out.append(f"[{ref.name}: {note}]")
            continue
        except Exception as exc:
            error = client.describe(exc, community.token)
            actions.note_result(community, error=error)
            logger.warning("vk community %s: a file could not be fetched: %s", community.pk, error)
            left_out.append(f"[{ref.name}: {_('could not be fetched from VK')}]")
            continue
        files.append(
            IncomingFile(
                name=ref.name,
                content=io.BytesIO(data),
                size=len(data),
                content_type=ref.content_type,
            )
        )
    return files, left_out
