"""The chat channel's way out, and what everyone in a chat hears as it happens.

- `ChatAdapter` (registered with the channel layer): the desk's public replies on a
  chat ticket, whoever wrote them and wherever (the agent's chat socket, the ticket
  page, `POST /api/v1/tickets/{n}/messages`), are queued in the outbox and pushed to
  all the visitor's open sockets at once after commit.
- `opened_chats` / `added_messages` (after-commit subscribers): the visitor's own
  messages and the answer bot's reach the visitor's other tabs; every message of a
  chat reaches the agent who has it (or is offered it), internal notes marked as such.
  Notes never reach the visitor.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from opora.chat.frames import message_frame, send_after_commit
from opora.chat.models import ChatSession, SessionState, agent_group, visitor_group
from opora.core.realtime import publish_to_group
from opora.inbox.portal import queue_email_notice
from opora.tickets.domain_events import MessageAdded, TicketOpened
from opora.tickets.models import Channel, Message, Ticket

if TYPE_CHECKING:
    from opora.inbox.models import Delivery


def _session_for(ticket_id: int) -> ChatSession | None:
    return ChatSession.objects.filter(ticket_id=ticket_id).order_by("-id").first()


def _latest_sessions(ticket_ids: Collection[int]) -> dict[int, ChatSession]:
    """Each ticket's latest chat session, by ticket id, in one statement."""
    sessions: dict[int, ChatSession] = {}
    for session in ChatSession.objects.filter(ticket_id__in=ticket_ids).order_by("id"):
        sessions[session.ticket_id] = session  # type: ignore[index]  # the latest wins
    return sessions


class ChatAdapter:
    channel: str = Channel.CHAT.value
    # The visitor is waiting in the widget: try at once, not only through a worker.
    immediate = True

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        [address] = self.addresses_for([(ticket, message)])
        return address

    def addresses_for(self, pairs: Sequence[tuple[Ticket, Message | None]]) -> list[str | None]:
        sessions = _latest_sessions({ticket.pk for ticket, _message in pairs})
        found = [sessions.get(ticket.pk) for ticket, _message in pairs]
        return [visitor_group(s.widget_id, s.visitor_id) if s else None for s in found]

    def deliver(self, delivery: Delivery) -> str:
        message = (
            Message.objects.select_related("author")
            .prefetch_related("attachments")
            .get(pk=delivery.ticket_message_id or 0)
        )
        frame = {"type": "message", "message": message_frame(message, delivery.ticket.requester_id)}
        # A visitor with no socket open reads it in the history when they come back.
        publish_to_group(delivery.address, {"type": "chat.frame", "frame": frame})
        session = _session_for(delivery.ticket.pk)
        over = session is not None and session.state in (SessionState.ENDED, SessionState.OFFLINE)
        # When the chat is over the visitor is likely gone: the answer also goes by
        # e-mail if the person has an address and wants notices.
        if over and queue_email_notice(delivery.ticket, message):
            return "widget+email"
        return ""


def _is_chat(message: Message, ticket: Ticket) -> bool:
    # Offline chats are e-mail tickets; their messages keep the chat's ids.
    return ticket.channel == Channel.CHAT or message.external_id.startswith("chat:")


def _fan_out(pairs: list[tuple[Message, bool]]) -> None:
    """Push each (message, from the desk) to the chat's visitor and agent."""
    wanted = [(m, desk) for m, desk in pairs if _is_chat(m, m.ticket)]
    if not wanted:
        return
    sessions = _latest_sessions({m.ticket_id for m, _ in wanted})
    ids = [m.pk for m, _ in wanted]
    loaded = {
        m.pk: m
        for m in Message.objects.filter(pk__in=ids)
        .select_related("author", "ticket")
        .prefetch_related("attachments")
    }
    out: list[tuple[str, dict[str, object]]] = []
    for original, from_desk in wanted:
        found = sessions.get(original.ticket_id)
        message = loaded.get(original.pk)
        if found is None or message is None:
            continue
        m = message_frame(message, message.ticket.requester_id)
        if not from_desk and not message.internal:  # the desk's replies: the adapter
            out.append(
                (
                    visitor_group(found.widget_id, found.visitor_id),
                    {"type": "message", "message": m},
                )
            )
        agent_id = found.agent_id or found.offered_to_id
        if agent_id:
            out.append(
                (agent_group(agent_id), {"type": "message", "chat_id": found.pk, "message": m})
            )
    send_after_commit(out)


def opened_chats(events: list[TicketOpened]) -> None:
    firsts = [e.ticket for e in events if e.ticket.channel == Channel.CHAT]
    if not firsts:
        return
    messages = Message.objects.filter(ticket__in=firsts).select_related("ticket")
    _fan_out([(m, False) for m in messages])


def added_messages(events: list[MessageAdded]) -> None:
    _fan_out([(e.message, e.from_desk) for e in events])
