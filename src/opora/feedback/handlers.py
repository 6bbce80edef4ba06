"""How customer satisfaction reacts to ticket changes (subscribed in `ready()`)."""

from __future__ import annotations

from opora.core.tasks import enqueue_many
from opora.tickets.domain_events import TicketSolved


def ask_for_rating(events: list[TicketSolved]) -> None:
    from opora.feedback.tasks import send_rating_request

    enqueue_many(send_rating_request, [(e.ticket.pk,) for e in events])
