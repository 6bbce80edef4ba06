"""VK's way out: the desk's public replies on a VK ticket, through the community the
person wrote to.

- A private chat's ticket: messages.send to the person (random_id per piece, so an
  attempt repeated after a lost answer is sent once), the files uploaded through
  photos/docs.getMessagesUploadServer and saved as the community's photos and
  documents.
- A wall thread's ticket: wall.createComment under the post, as the community, in
  answer to the person's latest comment there (`reply_to_comment`). Only the text: a
  community's token cannot upload files to a wall.

The outbox (`inbox/delivery.py`) retries with backoff what fails here; a refusal that
trying again will not change is permanent at once: the person does not take the
community's messages (error 901: the chat is marked unreachable, and later replies fail
at once until the person writes again), the community was removed or its token no
longer works.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from opora.inbox.channels import DeliveryFailed
from opora.messengers import outbox
from opora.messengers.conversations import mark_unreachable, split_text
from opora.messengers.models import Conversation, VkCommunity
from opora.messengers.vk import actions, client
from opora.messengers.vk.intake import wall_thread
from opora.tickets.models import Channel, Message, Ticket

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opora.inbox.models import Delivery

# Shown inline as a photo; anything else goes as a document.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/gif")
MAX_PHOTO_BYTES = 50 * 1024 * 1024
WALL_CHAT = re.compile(r"^wall(-[0-9]+)_([0-9]+):([0-9]+)$")
# VK errors trying again will not mend: authorization, access, bad parameters, the
# post or its comments gone or closed.
PERMANENT = (5, 15, 27, 100, 113, 210, 211, 212, 213, 222, 223)


def _files(message: Message) -> list[client.OutgoingFile]:
    out = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            data = handle.read()
        photo = attachment.content_type in PHOTO_TYPES and len(data) <= MAX_PHOTO_BYTES
        out.append(client.OutgoingFile(name=attachment.filename, data=data, photo=photo))
    return out


def _reply_to(ticket_id: int, group_id: int, owner: int, post: int) -> int | None:
    """The person's latest comment under the post on this ticket: the desk answers it."""
    prefix = wall_thread(group_id, owner, post)
    found = (
        Message.objects.filter(ticket_id=ticket_id, external_id__startswith=prefix)
        .order_by("-id")
        .values_list("external_id", flat=True)
        .first()
    )
    tail = found[len(prefix) :] if found else ""
    return int(tail) if tail.isdigit() else None


class VkAdapter:
    channel: str = Channel.VK.value
    # The person reads it when VK brings it: a worker sends it, not the request.
    immediate = False

    def schedule(self, rows: list[Delivery]) -> None:
        """One deliverer per account sends them (`messengers/outbox.py`)."""
        outbox.schedule(rows)

    def batch(self, rows: Sequence[Delivery]) -> AbstractContextManager[object]:
        """A deliverer's batch: communities, chats and messages loaded once, one
        session per community."""
        return outbox.batch(rows, VkCommunity, client.sessions)

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        """The conversation the ticket came from; for a ticket an agent opened, the
        requester's latest private chat (never a wall thread: that would be public)."""
        found = (
            Conversation.objects.filter(channel=self.channel, ticket_id=ticket.pk)
            .order_by("-updated_at", "-id")
            .first()
        )
        if found is None and ticket.requester_id is not None:
            found = (
                Conversation.objects.filter(channel=self.channel, user_id=ticket.requester_id)
                .exclude(chat_id__startswith="wall")
                .order_by("-updated_at", "-id")
                .first()
            )
        return f"{found.account_id}:{found.chat_id}" if found is not None else None

    def deliver(self, delivery: Delivery) -> str:
        account, _, chat_id = delivery.address.partition(":")
        community = outbox.account(VkCommunity, int(account) if account.isdigit() else 0)
        if community is None or not community.active:
            raise DeliveryFailed(
                "The VK community of this chat was removed or turned off.", permanent=True
            )
        chat = outbox.chat(self.channel, community.pk, chat_id)
        if chat is not None and chat.unreachable_at is not None:
            raise DeliveryFailed(
                f"The customer is unreachable on VK: {chat.unreachable_reason}", permanent=True
            )
        message = outbox.message(delivery.ticket_message_id)
        endpoint = client.Endpoint.of(community)
        key = f"opora-{delivery.pk}"
        wall = WALL_CHAT.match(chat_id)
        try:
            if wall is not None:
                owner, post = int(wall.group(1)), int(wall.group(2))
                texts = split_text(message.body, client.MAX_COMMENT)
                if not texts:
                    return ""
                ids = client.comment(
                    endpoint,
                    group_id=community.group_id,
                    post_id=post,
                    reply_to=_reply_to(message.ticket_id, community.group_id, owner, post),
                    texts=texts,
                    key=key,
                )
            elif chat_id.isdigit():
                files = _files(message)
                texts = split_text(message.body, client.MAX_TEXT)
                if not texts and not files:
                    return ""
                ids = client.send_message(endpoint, int(chat_id), texts, files, key=key)
            else:
                raise DeliveryFailed(f"Not a VK chat: {chat_id}", permanent=True)
        except DeliveryFailed:
            raise
        except Exception as exc:
            raise self._failure(community, chat, exc, wall=wall is not None) from None
        outbox.succeeded(community, lambda: actions.note_result(community))
        return ",".join(str(i) for i in ids)[:255]

    def _failure(
        self,
        community: VkCommunity,
        chat: Conversation | None,
        exc: Exception,
        *,
        wall: bool,
    ) -> DeliveryFailed:
        reason = client.describe(exc, community.token)
        code = client.error_code(exc)
        if code in client.CANNOT_MESSAGE and not wall:
            if chat is not None:
                mark_unreachable(chat, reason)
            return DeliveryFailed(
                f"The customer does not take the community's messages and is unreachable "
                f"on VK ({reason})",
                permanent=True,
            )
        actions.note_result(community, error=reason)
        # Anything else (the server down, too many requests) is tried again with backoff.
        return DeliveryFailed(reason, permanent=code in PERMANENT)
