"""Opening many tickets at once (bulk e-mail intake) with multi-row inserts.

`create_tickets` writes exactly what `actions.create_ticket` followed by
`actions.route_new_ticket(team=...)` writes for each ticket — the same rows, events,
search documents, SLA clock and queued jobs — from the same helpers, with one insert
per table instead of one per ticket.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from opora.accounts.models import Team
from opora.search import service as search
from opora.sla.clock import SlaInputs, compute_sla
from opora.sla.models import TicketSla
from opora.tickets import events as ev
from opora.tickets import reactions
from opora.tickets.actions import PreparedTicket, _set_tags, message_row, route_team
from opora.tickets.attachments import store_attachment
from opora.tickets.models import Message, Ticket
from opora.tickets.numbering import next_ticket_numbers


def create_tickets(
    prepared: Sequence[PreparedTicket], *, team: Team | None = None
) -> list[tuple[Ticket, Message]]:
    """Open the prepared tickets (see `actions.prepare_ticket`), each routed to `team`;
    returns (ticket, first message) pairs in the same order. Runs in one transaction."""
    if not prepared:
        return []
    with transaction.atomic():
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
            _set_tags(new.ticket, new.tag_names)
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
