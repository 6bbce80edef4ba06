"""Callback API events of a VK community, taken in by the drain job (`drain.py`) after
the desk said "ok", many at a time.

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
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from opora.accounts.identities import Contact
from opora.accounts.models import Identity, IdentityKind
from opora.core.errors import OporaError
from opora.messengers import drain
from opora.messengers.conversations import Arrived, answer_first_many, mark_unreachable
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


DRAIN = "vk"  # the drain's name (`drain.py`)


def waiting() -> QuerySet[VkEvent]:
    return VkEvent.objects.filter(drain.waiting_filter())


def shard(data: Any) -> int:
    """The drain shard of an event: from the person it is about (who wrote the message
    or the comment, who refused or allowed messages), so a person's messages, comments
    and permissions go through one lane in order; 0 when it names nobody."""
    found = data.get("object") if isinstance(data, dict) else None
    obj = found if isinstance(found, dict) else {}
    inner = obj.get("message", obj)
    message = inner if isinstance(inner, dict) else {}
    for value in (message.get("from_id"), obj.get("from_id"), obj.get("user_id")):
        if _int(value) is not None:
            return drain.shard_of(value)
    return 0


@dataclass
class _Batch:
    """What a batch of events brings: messages to store, permissions to apply."""

    work: list[tuple[VkEvent, Arrived, str]] = field(default_factory=list)
    permissions: list[tuple[VkEvent, int]] = field(default_factory=list)


def take_many(ids: list[int]) -> int:
    """Take in a batch of stored events, in order; how many were handled.

    Files are fetched and the new people named (one users.get per community for all
    of them) before the batch is stored in one transaction."""
    rows = list(
        VkEvent.objects.select_related("community")
        .filter(pk__in=ids, handled_at__isnull=True)
        .order_by("id")
    )
    batch = _Batch()
    with client.sessions():  # files, posts, names: one session per community
        for row in rows:
            try:
                _read(row, batch)
            except Exception as exc:
                drain.failed(row, exc)  # a malformed event: noted, the others go on
        work = _named(batch.work)
    opened = drain.store(rows, work)
    _apply_permissions(batch, work)
    answer_first_many(opened)
    return len(rows)


def _read(event: VkEvent, batch: _Batch) -> None:
    community = event.community
    found = event.payload.get("object") if isinstance(event.payload, dict) else None
    obj = found if isinstance(found, dict) else {}
    if not community.active:
        _ignore(event, "the community is turned off")
    elif event.kind == "message_new":
        _message(event, community, obj, batch)
    elif event.kind == "wall_reply_new":
        _comment(event, community, obj, batch)
    elif event.kind in ("message_deny", "message_allow"):
        _permission(event, obj, batch)
    else:
        _ignore(event, f"type {event.kind}")


def _ignore(event: VkEvent, why: str) -> None:
    logger.info("vk community %s: event %s ignored (%s)", event.community_id, event.pk, why)
    event.outcome = IGNORED


def _someone(community: VkCommunity, user_id: int) -> Contact:
    """The person, named once the batch asked VK (`_named`)."""
    return Contact(kind=IdentityKind.VK, value=str(user_id), language=community.language)


def _named(
    work: list[tuple[VkEvent, Arrived, str]],
) -> list[tuple[VkEvent, Arrived, str]]:
    """The messages with their people named as VK names them (users.get: one call per
    community for the people the desk does not know yet; their id if VK does not say),
    and with the ticket of their chat."""
    known = set(
        Identity.objects.filter(
            kind=IdentityKind.VK, value__in={a.contact.value for _e, a, _o in work}
        ).values_list("value", flat=True)
    )
    wanted: dict[int, tuple[VkCommunity, set[int]]] = {}
    for event, arrived, _outcome in work:
        if arrived.contact.value not in known:
            entry = wanted.setdefault(event.community_id, (event.community, set()))
            entry[1].add(int(arrived.contact.value))
    names: dict[tuple[int, int], str] = {}
    for community, people in wanted.values():
        try:
            found = client.people(client.Endpoint.of(community), sorted(people))
        except Exception as exc:
            error = client.describe(exc, community.token)
            actions.note_result(community, error=error)
            logger.warning("vk community %s: users.get failed: %s", community.pk, error)
            continue
        for user_id, person in found.items():
            names[(community.pk, user_id)] = " ".join(
                str(person.get(part) or "").strip() for part in ("first_name", "last_name")
            ).strip()
    tickets = _tickets_of([(e.community_id, a.chat_id) for e, a, _o in work])
    out = []
    for event, arrived, outcome in work:
        user_id = int(arrived.contact.value)
        name = names.get((event.community_id, user_id)) or f"VK id{user_id}"
        out.append(
            (
                event,
                replace(
                    arrived,
                    contact=replace(arrived.contact, name=name),
                    ticket_id=tickets.get((event.community_id, arrived.chat_id)),
                ),
                outcome,
            )
        )
    return out


def _tickets_of(chats: list[tuple[int, str]]) -> dict[tuple[int, str], int | None]:
    if not chats:
        return {}
    lookup = Q()
    for account, chat in set(chats):
        lookup |= Q(account_id=account, chat_id=chat)
    return {
        (account, chat): ticket
        for account, chat, ticket in Conversation.objects.filter(channel=Channel.VK)
        .filter(lookup)
        .values_list("account_id", "chat_id", "ticket_id")
    }


def _message(event: VkEvent, community: VkCommunity, obj: dict[str, Any], batch: _Batch) -> None:
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
    number = _int(message.get("id")) or _int(message.get("conversation_message_id")) or 0
    arrived = Arrived(
        channel=Channel.VK,
        account_id=community.pk,
        chat_id=str(peer),
        contact=_someone(community, sender),
        body=body,
        external_id=f"vk:{community.group_id}:m:{number}"
        if number
        else f"vk:{community.group_id}:e:{event.event_id}",
        attachments=files,
        team_id=community.team_id,
        only_named=True,
    )
    batch.work.append((event, arrived, MESSAGE))
    return None


def _comment(event: VkEvent, community: VkCommunity, obj: dict[str, Any], batch: _Batch) -> None:
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
    arrived = Arrived(
        channel=Channel.VK,
        account_id=community.pk,
        chat_id=wall_chat(owner, post, author),
        contact=_someone(community, author),
        body=f"{body}\n\n{link}",
        external_id=f"{wall_thread(community.group_id, owner, post)}{number}",
        attachments=files,
        team_id=community.team_id,
        subject=_subject(community, owner, post, body),
        only_named=True,
    )
    batch.work.append((event, arrived, COMMENT))
    return None


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


def _permission(event: VkEvent, obj: dict[str, Any], batch: _Batch) -> None:
    user = _int(obj.get("user_id"))
    if user is None or user <= 0:
        return _ignore(event, "no user_id")
    event.outcome = DENIED if event.kind == "message_deny" else ALLOWED
    batch.permissions.append((event, user))
    return None


def _apply_permissions(batch: _Batch, stored: list[tuple[VkEvent, Arrived, str]]) -> None:
    """The person refused (or allowed again) the community's messages: their chat is
    marked, after the batch's messages are in; a message they wrote after the refusal
    in the same batch makes them reachable again, as it would one by one."""
    for event, user in batch.permissions:
        if event.outcome == drain.FAILED:
            continue
        chat_id = str(user)
        later = any(
            e.pk > event.pk and e.community_id == event.community_id and a.chat_id == chat_id
            for e, a, _o in stored
            if e.outcome != drain.FAILED
        )
        if later:
            continue
        chat = Conversation.objects.filter(
            channel=Channel.VK, account_id=event.community_id, chat_id=chat_id
        ).first()
        if chat is None:
            continue
        if event.outcome == DENIED:
            mark_unreachable(chat, _("The person refused the community's messages on VK."))
        else:
            Conversation.objects.filter(pk=chat.pk).update(
                unreachable_at=None, unreachable_reason=""
            )


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
