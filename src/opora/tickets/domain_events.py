"""What the ticket actions publish for the apps above them (see `core/dispatch.py`).

The audit trail is `events.py` (rows a person reads); these are messages between apps.
They carry the objects the action wrote, as they stand at publishing: a handler that
runs in the transaction may use them as they are; one that runs after commit reads by
id what it needs, since others may have changed the rows since.
"""

from __future__ import annotations

from dataclasses import dataclass

from opora.accounts.models import User
from opora.tickets.models import Message, Ticket


@dataclass(frozen=True)
class TicketOpened:
    """A new ticket with its first message (published once per ticket of a batch)."""

    ticket: Ticket


@dataclass(frozen=True)
class TicketSolved:
    """The ticket moved to solved (by an agent, the requester or a bot)."""

    ticket: Ticket


@dataclass(frozen=True)
class TicketReclassified:
    """Priority or type changed: what SLA rules match it may have changed."""

    ticket: Ticket


@dataclass(frozen=True)
class TicketChanged:
    """Fields of the ticket changed through `update_ticket` (status, team, tags...)."""

    ticket: Ticket
    fields: tuple[str, ...]
    by: User
    previous_status: str = ""


@dataclass(frozen=True)
class MessageAdded:
    """A reply or an internal note was added to the ticket."""

    ticket: Ticket
    message: Message
    by: User
    automated: bool = False  # written by the desk's automation, not a person
    # An automated message the desk sends to the customer (a "problem solved" notice):
    # delivered like a person's reply, yet never a first response nor an agent's reply.
    notice: bool = False

    @property
    def public(self) -> bool:
        return not self.message.internal

    @property
    def from_desk(self) -> bool:
        """A person of the desk answered the customer, or the desk sent a notice (not
        the requester's own words): what the channel delivers."""
        return (
            self.public
            and (not self.automated or self.notice)
            and self.by.is_agent
            and self.by.pk != self.ticket.requester_id
        )

    @property
    def from_requester(self) -> bool:
        return self.public and self.by.pk == self.ticket.requester_id
