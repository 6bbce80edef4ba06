"""The channel layer: one way in and one way out for every channel.

A channel is a plugin with one small interface (`Adapter`), registered at start-up
(`register`, from its AppConfig.ready()):

- **In.** The channel turns what arrived into an `Inbound` and calls `receive`. The
  person is found or created from what the channel knows (`accounts.identities`), the
  message joins the conversation it belongs to (the ticket the channel names, else the
  person's open ticket on the same channel and conversation key) or opens a new ticket
  through the same write path as e-mail: routing, language, SLA, events, search and the
  answer bot all follow from there.
- **Out.** Every public message of the desk on a ticket (an agent's reply, the bot's
  answer) is queued in the outbox (`Delivery`, in the reply's own transaction) for the
  adapter of the ticket's channel, and a job delivers it: retried with backoff, failures
  recorded on the ticket and counted in /metrics (`inbox/delivery.py`).

E-mail is one such adapter (`inbox/email/adapter.py`), the portal's notices by mail
another (`inbox/portal.py`), live chat a third (`opora.chat`). A new
messenger is one module: an `Adapter` and the code that turns its webhook into
`Inbound` objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.db import transaction

from opora.accounts.identities import Contact, requester_for
from opora.accounts.models import Team, User
from opora.core.text import guess_language
from opora.tickets.actions import add_messages, create_tickets, prepare_ticket
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import ACTIVE_STATUSES, Message, Ticket, TicketStatus
from opora.tickets.replies import NewMessage

if TYPE_CHECKING:
    from opora.inbox.models import Delivery


class DeliveryFailed(Exception):
    """An adapter could not deliver. `permanent`: trying again will not help (the
    recipient is gone, the provider refused the message for good)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Adapter(Protocol):
    """What a channel plugs into the desk."""

    # The tickets' channel this adapter speaks for (a tickets.Channel value).
    channel: str
    # Try each delivery at once after commit in the process that stored the message
    # (someone is waiting live), not only through a worker's job.
    immediate: bool

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        """Where the desk's public message on `ticket` goes (an e-mail address, a chat
        visitor, a messenger chat id); None: this ticket cannot be reached this way."""
        ...

    def deliver(self, delivery: Delivery) -> str:
        """Send one queued delivery; return the provider's id for it ("" if none: the
        id given by `prepare`, if any, is kept). Raise `DeliveryFailed` (or any
        exception: retried) when it did not go out."""
        ...

    # Optional: `prepare(self, delivery: Delivery) -> None`, called on each new row
    # before it is stored (in the message's transaction), for a channel that must name
    # what it will send before sending it: e-mail sets the Message-ID there, so the
    # customer's answer threads even while the mail still waits in the outbox.


_adapters: dict[str, Adapter] = {}


def register(adapter: Adapter) -> None:
    """Make `adapter` the way out for its channel's tickets."""
    _adapters[adapter.channel] = adapter


def adapter_for(channel: str) -> Adapter | None:
    return _adapters.get(channel)


def registered() -> dict[str, Adapter]:
    return dict(_adapters)


@dataclass(frozen=True)
class Inbound:
    """One message that arrived on a channel."""

    channel: str  # a tickets.Channel value
    contact: Contact  # who wrote
    body: str
    subject: str = ""  # a new ticket's subject; empty: taken from the body
    body_html: str = ""
    attachments: Sequence[IncomingFile] = ()
    external_id: str = ""  # the provider's id of the message (for de-duplication)
    # The conversation the channel knows this message belongs to: a ticket it opened
    # before (a chat session's ticket, a messenger thread). None: the person's open
    # ticket on this channel, else a new one.
    ticket_id: int | None = None
    tags: Sequence[str] = field(default_factory=tuple)
    # The team a new ticket goes to (a chat widget's team); None: the usual routing.
    team_id: int | None = None
    # The channel keeps its conversations apart itself (a VK chat, a thread under a
    # post): without a `ticket_id`, or with one that is closed, a new ticket opens,
    # never the person's other open ticket on the channel.
    only_named: bool = False


def _subject_from(body: str) -> str:
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    return (first[:77] + "…") if len(first) > 80 else first


def _open_conversation(inbound: Inbound, requester: User) -> Ticket | None:
    if inbound.ticket_id is not None:
        return Ticket.objects.filter(pk=inbound.ticket_id, requester=requester).first()
    if inbound.only_named:
        return None
    return (
        Ticket.objects.filter(
            requester=requester, channel=inbound.channel, status__in=ACTIVE_STATUSES
        )
        .order_by("-updated_at", "-id")
        .first()
    )


def receive(inbound: Inbound) -> tuple[Ticket, Message]:
    """Store `inbound`: a reply on its open conversation, or a new ticket."""
    with transaction.atomic():
        requester = requester_for(inbound.contact)
        if inbound.external_id:
            seen = (
                Message.objects.select_related("ticket")
                .filter(channel=inbound.channel, external_id=inbound.external_id)
                .first()
            )
            if seen is not None:
                return seen.ticket, seen  # delivered twice by the provider: kept once
        ticket = _open_conversation(inbound, requester)
        if ticket is not None and ticket.status != TicketStatus.CLOSED:
            [message] = add_messages(
                [
                    NewMessage(
                        ticket_id=ticket.pk,
                        by=requester,
                        body=inbound.body,
                        channel=inbound.channel,
                        body_html=inbound.body_html,
                        external_id=inbound.external_id,
                        attachments=inbound.attachments,
                    )
                ]
            )
            assert message is not None  # refusals raise
            return ticket, message
        new = prepare_ticket(
            requester=requester,
            subject=inbound.subject or _subject_from(inbound.body) or inbound.channel,
            body=inbound.body,
            by=requester,
            channel=inbound.channel,
            tags=inbound.tags,
            language=guess_language(
                f"{inbound.subject} {inbound.body[:2000]}",
                inbound.contact.language or requester.language,
                minimum=3,
            ),
            body_html=inbound.body_html,
            external_id=inbound.external_id,
            attachments=inbound.attachments,
        )
        if inbound.team_id is not None:
            new.route_to = Team.objects.filter(pk=inbound.team_id).first()
        [(ticket, first)] = create_tickets([new], savepoint=False)
        return ticket, first
