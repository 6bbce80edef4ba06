"""How ideas react to tickets (subscribed in `IdeasConfig.ready()`)."""

from __future__ import annotations

from opora.core.tasks import enqueue_many
from opora.ideas.models import Idea
from opora.ideas.tasks import match_suggestion_task
from opora.tickets.domain_events import TicketOpened
from opora.tickets.models import TicketType


def find_similar_ideas(events: list[TicketOpened]) -> None:
    """A new suggestion is compared with the ideas in a job, once there are any."""
    ids = [e.ticket.pk for e in events if e.ticket.type == TicketType.SUGGESTION]
    if ids and Idea.objects.exists():
        enqueue_many(match_suggestion_task, [(pk,) for pk in ids])
