"""Opening tickets: one path for one ticket or a batch of them (a batch of one is a batch).

`prepare_ticket` checks a new ticket and shapes it without writing; `create_tickets`
writes prepared tickets with one statement per table (tickets, tags, messages,
attachments, events, search documents, clock rows) and publishes `TicketOpened`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.actions import get_or_create_requester
from opora.accounts.models import Team, User
from opora.core import clock as wall_clock
from opora.core.bulk import create_rows
from opora.core.dispatch import publish
from opora.core.errors import Forbidden, ValidationFailed
from opora.core.html import presanitized
from opora.search import service as search
from opora.tickets import clock, errors
from opora.tickets import events as ev
from opora.tickets.attachments import IncomingFile, check_attachments, store_attachment
from opora.tickets.cleaning import (
    clean_body,
    clean_subject,
    clean_tags,
    parse_priority,
    parse_type,
    require_agent,
)
from opora.tickets.domain_events import TicketOpened
from opora.tickets.models import Channel, Message, Priority, Ticket, TicketStatus, TicketType
from opora.tickets.numbering import next_ticket_numbers
from opora.tickets.replies import message_row
from opora.tickets.transitions import add_tags_by_channel, set_tags


@dataclass
class PreparedTicket:
    """A checked new ticket, not yet written: the ticket row (without a number), what
    its first message needs, and where the channel routes it."""

    ticket: Ticket
    tag_names: list[str]
    author: User
    by: User
    body: str
    body_html: str
    external_id: str
    attachments: Sequence[IncomingFile]
    # Set by a channel (not a person): its team, and tags such as needs-review.
    route_to: Team | None = None
    channel_tags: list[str] = field(default_factory=list)


# `Channel.values` builds a new list on every use; bulk intake asks once per ticket.
_CHANNELS = frozenset(Channel.values)


def prepare_ticket(
    *,
    requester: User,
    subject: str,
    body: str,
    by: User,
    channel: str = Channel.API,
    priority: str | int | None = None,
    type: str | None = None,
    tags: Sequence[str] = (),
    team: Team | None = None,
    language: str | None = None,
    body_html: str = "",
    external_id: str = "",
    attachments: Sequence[IncomingFile] = (),
    custom_fields: Mapping[str, Any] | None = None,
) -> PreparedTicket:
    """Check a new ticket (raising `OporaError`s) and shape it; nothing is written."""
    if not by.is_agent and by.pk != requester.pk:
        raise Forbidden(
            errors.AGENTS_ONLY,
            _("Only agents may open tickets for someone else."),
            field="requester",
        )
    if requester.blocked and not by.is_agent:
        # A blocked customer's own requests (portal, chat, messengers) open nothing;
        # e-mail intake sets their mail aside before it gets here.
        raise Forbidden(
            errors.CUSTOMER_BLOCKED, _("This account may not open requests."), field="requester"
        )
    if team is not None:
        require_agent(by, "team")
    if tags:
        require_agent(by, "tags")
    subject = clean_subject(subject)
    body = clean_body(body)
    prio = parse_priority(priority) or Priority.NORMAL
    kind = parse_type(type, by=by) or TicketType.QUESTION
    tag_names = clean_tags(tags)
    if channel not in _CHANNELS:
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown channel."), field="channel")
    check_attachments(list(attachments))

    now = wall_clock.now()
    ticket = Ticket(
        subject=subject,
        requester=requester,
        organization=requester.organization,
        team=team,
        status=TicketStatus.NEW,
        priority=prio,
        type=kind,
        channel=channel,
        language=language or requester.language,
        created_at=now,
        updated_at=now,
        # Checked by the caller against the type's form (crm.actions.check_new_ticket_fields).
        custom_fields=dict(custom_fields or {}),
    )
    return PreparedTicket(
        ticket=ticket,
        tag_names=tag_names,
        author=requester if by.is_agent and channel != Channel.PHONE else by,
        by=by,
        body=body,
        body_html=body_html,
        external_id=external_id,
        attachments=attachments,
    )


def create_ticket(
    *,
    requester: User | str,
    subject: str,
    body: str,
    by: User,
    requester_name: str = "",
    channel: str = Channel.API,
    priority: str | int | None = None,
    type: str | None = None,
    tags: Sequence[str] = (),
    team: Team | None = None,
    language: str | None = None,
    body_html: str = "",
    external_id: str = "",
    attachments: Sequence[IncomingFile] = (),
    custom_fields: Mapping[str, Any] | None = None,
) -> Ticket:
    """Open a ticket with its first message, for the requester (by them or an agent).

    `requester` may be an e-mail address (agents only): the person is found or created
    as a customer in the same transaction, so a refused ticket leaves no one behind.
    """
    # HTML is cleaned before the transaction: its cost never holds the write lock.
    body_html = presanitized(body_html) if body_html else ""
    with transaction.atomic():
        if isinstance(requester, str):
            if not by.is_agent:
                raise Forbidden(
                    errors.AGENTS_ONLY,
                    _("Only agents may open tickets for someone else."),
                    field="requester",
                )
            try:
                requester = get_or_create_requester(requester, name=requester_name)
            except ValidationFailed as exc:
                raise ValidationFailed(exc.code, exc.message, field="requester") from None
        new = prepare_ticket(
            requester=requester,
            subject=subject,
            body=body,
            by=by,
            channel=channel,
            priority=priority,
            type=type,
            tags=tags,
            team=team,
            language=language,
            body_html=body_html,
            external_id=external_id,
            attachments=attachments,
            custom_fields=custom_fields,
        )
        [(ticket, _first)] = create_tickets([new], savepoint=False)
        return ticket


def create_tickets(
    prepared: Sequence[PreparedTicket], *, savepoint: bool = True
) -> list[tuple[Ticket, Message]]:
    """Open the prepared tickets; returns (ticket, first message) pairs in their order.

    Runs in one transaction (`savepoint=False`: inside the caller's, which fails as a
    whole)."""
    if not prepared:
        return []
    with transaction.atomic(savepoint=savepoint):
        return _create(prepared)


def _create(prepared: Sequence[PreparedTicket]) -> list[tuple[Ticket, Message]]:
    tickets = [new.ticket for new in prepared]
    # Numbers come from the shared sequence in one statement: unique under concurrent
    # writers, and a rolled-back batch leaves a gap like a rolled-back single ticket.
    for ticket, number in zip(tickets, next_ticket_numbers(len(tickets)), strict=True):
        ticket.number = number
    routed = []
    for new in prepared:
        # A channel's team is the ticket's team from the start (the clock and the
        # reports see it); the event still says the channel put it there.
        if new.route_to is not None and new.route_to.pk != new.ticket.team_id:
            routed.append((new.ticket, new.ticket.team_id))
            new.ticket.team = new.route_to
    write_clock = clock.clock().start(tickets)
    create_rows(Ticket, tickets)
    for new in prepared:
        if new.tag_names:
            set_tags(new.ticket, new.tag_names)
    messages = [
        message_row(
            new.ticket,
            author=new.author,
            body=new.body,
            body_html=new.body_html,
            internal=False,
            channel=new.ticket.channel,
            external_id=new.external_id,
            at=new.ticket.created_at,
        )
        for new in prepared
    ]
    create_rows(Message, messages)
    for new, message in zip(prepared, messages, strict=True):
        for incoming in new.attachments:
            store_attachment(message, incoming)
    pairs = list(zip(tickets, messages, strict=True))
    search.index_tickets_with_messages(pairs)
    previous_team = {t.pk: team_id for t, team_id in routed}
    with ev.recorded_together():
        for new, message in zip(prepared, messages, strict=True):
            ticket = new.ticket
            ev.ticket_created_event(ticket=ticket, by=new.by)
            ev.message_added_event(
                ticket=ticket, by=new.by, message=message, attachments=len(new.attachments)
            )
            if ticket.pk in previous_team:
                ev.ticket_team_changed_event(
                    ticket=ticket, by=None, previous=previous_team[ticket.pk]
                )
    for new in prepared:
        if new.channel_tags:
            add_tags_by_channel(new.ticket, clean_tags(new.channel_tags))
    write_clock()
    publish([TicketOpened(t) for t in tickets])
    return pairs
