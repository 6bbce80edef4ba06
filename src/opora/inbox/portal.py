"""Portal requests (Channel.WEB): the customer hears of answers by e-mail.

A public reply of the desk on a request made in the portal is mailed to the requester
in the ticket's language, with the reply's text and a link back to the request page;
the mail is threaded and carries the ticket's reply address, so answering it adds to
the same ticket. A new portal request is acknowledged the same way. Nothing is mailed
to a customer who turned notifications off (`User.notify_by_email`) or who has no
address mail can reach.
"""

from __future__ import annotations

from opora.inbox.delivery import delivery_for, schedule
from opora.inbox.email.adapter import EmailAdapter
from opora.tickets.acknowledgements import acknowledged_elsewhere
from opora.tickets.domain_events import TicketOpened
from opora.tickets.models import Channel, Message, Ticket


class PortalAdapter(EmailAdapter):
    channel: str = Channel.WEB
    templates = "portal_"

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        if not ticket.requester.notify_by_email or ticket.requester.email_undeliverable:
            return None  # turned off, or mail to the address bounced
        return super().address_for(ticket, message)


def queue_email_notice(ticket: Ticket, message: Message) -> bool:
    """Mail the portal's notice of a desk reply on a ticket of another channel whose
    customer is no longer there to see it (a live chat that ended): with its text, a
    link to the request and the reply address. False when nothing can be sent."""
    row = delivery_for(ticket, message, kind="reply", adapter=PortalAdapter())
    if row is None:
        return False
    schedule([row])
    return True


def queue_acknowledgements(events: list[TicketOpened]) -> None:
    """New portal requests are acknowledged by mail (in the opening transaction), except
    those a domain acknowledges itself (a complaint gets one with its deadline)."""
    tickets = [event.ticket for event in events if event.ticket.channel == Channel.WEB]
    elsewhere = acknowledged_elsewhere(tickets)
    rows = [
        row
        for ticket in tickets
        if ticket.pk not in elsewhere
        for row in [delivery_for(ticket, None, kind="ticket_created")]
        if row is not None
    ]
    if rows:
        schedule(rows)
