"""Adding messages to tickets: one path for one message or a batch of them.

A public reply moves the ticket as a desk expects — the desk's first answer is the
first response and opens a new ticket; the customer writing back reopens a pending or
solved one — and recomputes its clock; an internal note changes neither. Every message
gets its audit event and search document, and `MessageAdded` is published for the apps
above (the channel delivers the desk's reply, the answer bot reads the customer's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core import clock as wall_clock
from opora.core.bulk import create_rows, update_rows
from opora.core.dispatch import publish
from opora.core.errors import Forbidden, NotFound, OporaError, ValidationFailed
from opora.core.html import presanitized, sanitize_html, text_to_html
from opora.search import service as search
from opora.tickets import clock, errors
from opora.tickets import events as ev
from opora.tickets.attachments import IncomingFile, check_attachments, store_attachment
from opora.tickets.cleaning import clean_body
from opora.tickets.domain_events import MessageAdded, TicketChanged
from opora.tickets.models import Message, Ticket, TicketStatus
from opora.tickets.transitions import move_status


def message_row(
    ticket: Ticket,
    *,
    author: User | None,
    body: str,
    body_html: str,
    internal: bool,
    channel: str,
    external_id: str,
    at: datetime,
    automated: bool = False,
) -> Message:
    """A message as it will be stored (HTML sanitized, or made from the text); unsaved."""
    return Message(
        ticket=ticket,
        author=author,
        internal=internal,
        automated=automated,
        channel=channel,
        body=body,
        body_html=sanitize_html(body_html) if body_html else text_to_html(body),
        external_id=external_id[:998],
        created_at=at,
    )


@dataclass
class NewMessage:
    """A message to add to a ticket, for `add_messages`."""

    ticket_id: int
    by: User
    body: str
    internal: bool = False
    channel: str = ""  # empty: the ticket's own channel
    body_html: str = ""
    external_id: str = ""
    attachments: Sequence[IncomingFile] = ()
    # Agents: the status to set with the reply, in the same change.
    status: str | None = None
    # Written by the desk's automation (the answer bot, a "problem solved" notice): no
    # first response, no status move, no clock, never counted as an agent's reply.
    automated: bool = False
    # An automated public message that goes out through the ticket's channel like a
    # person's reply (a notice); the answer bot's replies are shown by their channel.
    deliver: bool = False


# Every Ticket field adding messages may change.
_FIELDS = (
    "status",
    "solved_at",
    "closed_at",
    "first_response_at",
    "updated_at",
    "first_response_due_at",
    "resolution_due_at",
)


def add_message(
    ticket: Ticket,
    *,
    by: User,
    body: str,
    internal: bool = False,
    channel: str = "",
    body_html: str = "",
    external_id: str = "",
    attachments: Sequence[IncomingFile] = (),
    status: str | None = None,
) -> Message:
    """Add a public reply or an internal note (and, for agents, set a status with it)."""
    new = NewMessage(
        ticket_id=ticket.pk,
        by=by,
        body=body,
        internal=internal,
        channel=channel,
        body_html=body_html,
        external_id=external_id,
        attachments=attachments,
        status=status,
    )
    [message] = add_messages([new])
    assert message is not None  # refusals raise
    return message


def add_automated_reply(
    ticket: Ticket, *, by: User, body: str, internal: bool = False, deliver: bool = False
) -> Message:
    """A message the desk's automation writes (the answer bot's reply, a notice): no
    first response, no status change, not an agent's reply in any KPI (docs/kpi.md).

    `deliver`: send it to the customer through the ticket's channel, as a reply is."""
    [message] = add_messages(
        [
            NewMessage(
                ticket_id=ticket.pk,
                by=by,
                body=body,
                internal=internal,
                automated=True,
                deliver=deliver,
            )
        ]
    )
    assert message is not None
    return message


def add_messages(
    new: Sequence[NewMessage],
    *,
    refused: Literal["raise", "skip"] = "raise",
    savepoint: bool = True,
) -> list[Message | None]:
    """Add the messages in order, in one transaction; returns each one's message.

    `savepoint=False`: inside the caller's transaction, which fails as a whole (the
    API's grouped writes: one round trip fewer each way).

    `refused="skip"` (bulk intake): instead of raising, a message this action refuses
    (a closed or missing ticket, an unacceptable body or file) is not added, nor is any
    other message to the same ticket, so they keep their order: None in their places.
    Precondition with "skip": no message sets a status.
    """
    if not new:
        return []
    # HTML is cleaned before the transaction: its cost never holds a ticket's lock.
    new = [replace(m, body_html=presanitized(m.body_html)) if m.body_html else m for m in new]
    with transaction.atomic(savepoint=savepoint):
        return _add(new, skip=refused == "skip")


def _check(message: NewMessage) -> str:
    """The cleaned body; raises for what no ticket may take."""
    if message.internal and not message.by.is_agent:
        raise Forbidden(
            errors.AGENTS_ONLY, _("Only agents may write internal notes."), field="internal"
        )
    if message.status is not None and not message.by.is_agent:
        raise Forbidden(
            errors.AGENTS_ONLY,
            _("Only agents may change %(field)s.") % {"field": "status"},
            field="status",
        )
    body = clean_body(message.body)
    check_attachments(list(message.attachments))
    return body


def _add(new: Sequence[NewMessage], *, skip: bool) -> list[Message | None]:
    skipped: set[int] = set()
    bodies: list[str] = []
    for message in new:
        try:
            bodies.append(_check(message))
        except OporaError:
            if not skip:
                raise
            bodies.append("")
            skipped.add(message.ticket_id)
    ids = sorted({m.ticket_id for m in new})
    # One lock for all, in id order: writers locking overlapping sets cannot deadlock.
    # With their requesters (not locked): the channels address the desk's replies to them.
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("requester")
    tickets = {t.pk: t for t in locked.filter(pk__in=ids).order_by("pk")}
    status_before = {pk: t.status for pk, t in tickets.items()}
    for pk in ids:
        ticket = tickets.get(pk)
        if ticket is not None and ticket.status != TicketStatus.CLOSED:
            continue
        if skip:
            skipped.add(pk)
        elif ticket is None:
            raise NotFound(_("ticket"))
        else:
            raise ValidationFailed(
                errors.TICKET_CLOSED,
                _("This ticket is closed; please open a new request."),
                field="ticket",
            )

    # Each message at its own moment, in order: the clock reads them back that way.
    added: dict[int, Message] = {}
    for i, message in enumerate(new):
        if message.ticket_id in skipped:
            continue
        ticket = tickets[message.ticket_id]
        added[i] = message_row(
            ticket,
            author=message.by,
            body=bodies[i],
            body_html=message.body_html,
            internal=message.internal,
            channel=message.channel or ticket.channel,
            external_id=message.external_id,
            at=wall_clock.now(),
            automated=message.automated,
        )
    create_rows(Message, list(added.values()))

    fields: dict[int, list[str]] = {}
    clock_at: dict[int, datetime] = {}
    last_public: dict[int, tuple[datetime, int | None]] = {}
    with ev.recorded_together():
        for i, row in added.items():
            message, ticket, now = new[i], row.ticket, row.created_at
            for incoming in message.attachments:
                store_attachment(row, incoming)
            ev.message_added_event(
                ticket=ticket,
                by=message.by,
                message=row,
                attachments=len(message.attachments),
                automated=message.automated,
            )
            changed = fields.setdefault(ticket.pk, [])
            if not message.internal and not message.automated:
                changed += _reply_moves(ticket, message.by, now)
                clock_at[ticket.pk] = now
                last_public[ticket.pk] = (now, message.by.pk)
            if message.status is not None:
                changed += move_status(ticket, message.status, by=message.by, now=now)
                clock_at[ticket.pk] = now
            ticket.updated_at = now
            changed.append("updated_at")
    search.index_messages(list(added.values()))

    timed = [tickets[pk] for pk in clock_at]
    if timed:
        moved = clock.clock().recompute(
            timed, at=clock_at, time_logged=False, last_public=last_public
        )
        for pk, names in moved.items():
            fields[pk] += names
    touched = {name for names in fields.values() for name in names}
    update_rows(Ticket, [tickets[pk] for pk in fields], [f for f in _FIELDS if f in touched])
    publish(
        [
            MessageAdded(
                ticket=row.ticket,
                message=row,
                by=new[i].by,
                automated=new[i].automated,
                notice=new[i].automated and new[i].deliver,
            )
            for i, row in added.items()
        ]
    )
    # A reply that moved the status (the customer reopening, the agent's "pending").
    last_by = {new[i].ticket_id: new[i].by for i in added}
    publish(
        [
            TicketChanged(tickets[pk], ("status",), last_by[pk], status_before[pk])
            for pk in last_by
            if tickets[pk].status != status_before[pk]
        ]
    )
    return [added.get(i) for i in range(len(new))]


def _reply_moves(ticket: Ticket, by: User, now: datetime) -> list[str]:
    """What a public reply does to the locked ticket; returns the fields it changed."""
    if by.is_agent and by.pk != ticket.requester_id:
        changed = []
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            changed.append("first_response_at")
        if ticket.status == TicketStatus.NEW:
            changed += move_status(ticket, TicketStatus.OPEN, by=by, now=now)
        return changed
    if ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        # The customer wrote back: the ball is in the desk's court again.
        return move_status(ticket, TicketStatus.OPEN, by=by, now=now)
    return []
