"""Opening and answering many tickets at once (bulk e-mail intake), with multi-row writes.

`create_tickets` writes exactly what `actions.create_ticket` followed by
`actions.route_new_ticket(team=...)` writes for each ticket; `add_replies` what
`actions.add_message` writes for each customer's reply — the same rows, events, search
documents, status moves, SLA clock and queued jobs — from the same helpers, with one
statement per table instead of one per ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.core.bulk import update_rows
from opora.core.errors import OporaError
from opora.search import service as search
from opora.sla.clock import SLA_FIELDS, SlaInputs, compute_sla
from opora.sla.models import TicketSla
from opora.tickets import events as ev
from opora.tickets import reactions
from opora.tickets.actions import PreparedTicket, message_row, move_status, route_team, set_tags
from opora.tickets.attachments import IncomingFile, check_attachments, store_attachment
from opora.tickets.cleaning import clean_body
from opora.tickets.models import Message, Ticket, TicketStatus
from opora.tickets.numbering import next_ticket_numbers


def create_tickets(
    prepared: Sequence[PreparedTicket], *, team: Team | None = None, savepoint: bool = True
) -> list[tuple[Ticket, Message]]:
    """Open the prepared tickets (see `actions.prepare_ticket`), each routed to `team`;
    returns (ticket, first message) pairs in the same order. Runs in one transaction
    (`savepoint=False`: inside the caller's, which fails as a whole)."""
    if not prepared:
        return []
    with transaction.atomic(savepoint=savepoint):
        return _create(prepared, team)


def _create(prepared: Sequence[PreparedTicket], team: Team | None) -> list[tuple[Ticket, Message]]:
    inputs = SlaInputs.load()
    tickets = [new.ticket for new in prepared]
    slas: list[TicketSla] = []
    # Numbers come from the shared sequence in one statement: unique under concurrent
    # writers, and a rolled-back batch leaves a gap like a rolled-back single ticket.
    for ticket, number in zip(tickets, next_ticket_numbers(len(tickets)), strict=True):
        ticket.number = number
        # The clock as create_ticket starts it: before routing (see route_new_ticket).
        sla, _fields = compute_sla(ticket, now=ticket.created_at, new=True, inputs=inputs)
        slas.append(sla)
    Ticket.objects.bulk_create(tickets)
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
    Message.objects.bulk_create(messages)
    for new, message in zip(prepared, messages, strict=True):
        for incoming in new.attachments:
            store_attachment(message, incoming)
    pairs = list(zip(tickets, messages, strict=True))
    search.index_tickets_with_messages(pairs)
    routed: list[Ticket] = []
    with ev.recorded_together():
        for new, message in zip(prepared, messages, strict=True):
            ticket = new.ticket
            ev.ticket_created_event(ticket=ticket, by=new.by)
            ev.message_added_event(
                ticket=ticket, by=new.by, message=message, attachments=len(new.attachments)
            )
            if route_team(ticket, team):
                routed.append(ticket)
    TicketSla.objects.bulk_create(slas)
    if routed and team is not None:
        Ticket.objects.filter(pk__in=[t.pk for t in routed]).update(team=team)
    reactions.apply_rules_later_many(tickets)
    reactions.schedule_answer_bot_many(tickets)
    return pairs


@dataclass
class PreparedReply:
    """A customer's public reply to a ticket, for `add_replies`."""

    ticket_id: int
    by: User
    body: str
    body_html: str
    channel: str
    external_id: str
    attachments: Sequence[IncomingFile]


# What `add_message` may change on the ticket row for a customer's reply.
_REPLY_FIELDS = ("status", "solved_at", "updated_at", "first_response_due_at", "resolution_due_at")


def add_replies(replies: Sequence[PreparedReply]) -> list[Message | None]:
    """Add customers' public replies, each as `actions.add_message` adds it, in order;
    returns each reply's message, or None where `add_message` must add it instead.

    Left to `add_message` (None): every reply to a ticket that is closed or gone, whose
    answer bot waits for the customer, or that has a reply `add_message` would refuse —
    all of that ticket's replies, so they keep their order. Precondition: the authors
    are customers, not agents. Runs in one transaction.
    """
    if not replies:
        return []
    with transaction.atomic():
        return _add_replies(replies)


def _add_replies(replies: Sequence[PreparedReply]) -> list[Message | None]:
    from opora.automation.bot import awaiting_answers  # the bot writes through actions

    ids = sorted({r.ticket_id for r in replies})
    # One lock for all, in id order: workers locking overlapping sets cannot deadlock.
    tickets = {
        t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    skipped = {pk for pk in ids if pk not in tickets or tickets[pk].status == TicketStatus.CLOSED}
    skipped |= awaiting_answers(ids)
    bodies: list[str] = []
    for reply in replies:
        try:
            bodies.append(clean_body(reply.body))
            check_attachments(list(reply.attachments))
        except OporaError:
            bodies.append("")
            skipped.add(reply.ticket_id)
    added: dict[int, Message] = {}
    latest: dict[int, Message] = {}
    with ev.recorded_together():
        # In arrival order, each reply and then its status move, at the moments
        # `add_message` would take: the SLA clock below reads them back in this order.
        for i, reply in enumerate(replies):
            if reply.ticket_id in skipped:
                continue
            ticket = tickets[reply.ticket_id]
            now = timezone.now()
            added[i] = latest[ticket.pk] = message_row(
                ticket,
                author=reply.by,
                body=bodies[i],
                body_html=reply.body_html,
                internal=False,
                channel=reply.channel,
                external_id=reply.external_id,
                at=now,
            )
            if ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
                # The customer wrote back: the ball is in the desk's court again.
                move_status(ticket, TicketStatus.OPEN, by=reply.by, now=now)
            ticket.updated_at = now
        Message.objects.bulk_create(list(added.values()))
        for i, message in added.items():
            reply = replies[i]
            for incoming in reply.attachments:
                store_attachment(message, incoming)
            ev.message_added_event(
                ticket=message.ticket,
                by=reply.by,
                message=message,
                attachments=len(reply.attachments),
            )
    search.index_messages(list(added.values()))
    # The clock once per ticket, as it stands after its last reply, from history read
    # for all of them at once (the status moves above are in it).
    inputs = SlaInputs.load()
    inputs.read_tickets(
        sorted(latest), last_public={pk: (m.created_at, m.author_id) for pk, m in latest.items()}
    )
    slas = []
    for pk, message in latest.items():
        sla, _fields = compute_sla(
            tickets[pk], now=message.created_at, time_logged=False, inputs=inputs
        )
        slas.append(sla)
    update_rows(Ticket, [tickets[pk] for pk in latest], _REPLY_FIELDS)
    update_rows(TicketSla, slas, SLA_FIELDS)
    return [added.get(i) for i in range(len(replies))]
