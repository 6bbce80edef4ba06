"""WhatsApp's 24-hour customer service window.

The desk may answer a person in free text only within 24 hours of their last message
(`Conversation.last_inbound_at`); after that only an approved template may start the
conversation again. An agent's reply outside the window is refused before anything is
written (`WindowClosed`, raised by the adapter while the reply is being stored, so the
whole reply rolls back), and the ticket page offers the number's templates instead.
When WhatsApp itself answers 131047 ("re-engagement message"), its word wins: the
window is closed here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from opora.core import clock
from opora.core.errors import OporaError
from opora.messengers import errors
from opora.messengers.models import Conversation, WhatsAppNumber
from opora.messengers.selectors import conversation_for
from opora.tickets.models import Channel, Ticket

WINDOW = timedelta(hours=24)

# Set while the desk stores a template reply: the adapter lets it through.
_sending_template: ContextVar[bool] = ContextVar("whatsapp_sending_template", default=False)


class WindowClosed(OporaError):
    """A free-text reply outside the 24-hour window: nothing is written."""

    status = 409


@dataclass(frozen=True)
class Window:
    """A WhatsApp ticket's chat: whether free text may go, until when, and the templates
    its number may send."""

    conversation: Conversation
    number: WhatsAppNumber | None
    closes_at: datetime | None  # None: the person never wrote (an agent's ticket)

    @property
    def open(self) -> bool:
        return self.closes_at is not None and clock.now() < self.closes_at

    @property
    def templates(self) -> list[str]:
        return list(self.number.templates) if self.number is not None else []

    @property
    def unreachable(self) -> bool:
        return self.conversation.unreachable_at is not None


def closes_at(conversation: Conversation) -> datetime | None:
    last = conversation.last_inbound_at
    return last + WINDOW if last is not None else None


def is_open(conversation: Conversation) -> bool:
    ends = closes_at(conversation)
    return ends is not None and clock.now() < ends


def window_for(ticket: Ticket) -> Window | None:
    """The window of a WhatsApp ticket's chat; None for another channel's ticket or a
    WhatsApp ticket with no chat."""
    if ticket.channel != Channel.WHATSAPP:
        return None
    found = conversation_for(ticket, Channel.WHATSAPP)
    if found is None:
        return None
    number = WhatsAppNumber.objects.filter(pk=found.account_id).first()
    return Window(conversation=found, number=number, closes_at=closes_at(found))


def closed_message(conversation: Conversation) -> str:
    ends = closes_at(conversation)
    if ends is None:
        return _(
            "The customer has not written on WhatsApp yet, so only a template may be sent. "
            "Send one with POST /api/v1/tickets/{number}/whatsapp-template or the ticket page."
        )
    return _(
        "The 24-hour window closed on %(when)s; send a template (POST "
        "/api/v1/tickets/{number}/whatsapp-template or the ticket page)."
    ) % {"when": formats.date_format(timezone.localtime(ends), "DATETIME_FORMAT")}


def refuse_outside(conversation: Conversation) -> None:
    """Refuse a free-text reply on a closed window, unless a template is being stored."""
    if _sending_template.get() or is_open(conversation):
        return
    raise WindowClosed(errors.WINDOW_CLOSED, closed_message(conversation), field="body")


@contextmanager
def sending_template() -> Iterator[None]:
    token = _sending_template.set(True)
    try:
        yield
    finally:
        _sending_template.reset(token)


def close(conversation: Conversation) -> None:
    """WhatsApp said the window is closed (131047): the desk's clock agrees from now
    on, until the person writes again."""
    limit = clock.now() - WINDOW
    Conversation.objects.filter(pk=conversation.pk).filter(
        Q(last_inbound_at__isnull=True) | Q(last_inbound_at__gt=limit)
    ).update(last_inbound_at=limit)
