"""How triage reacts to ticket changes (subscribed in `TriageConfig.ready()`)."""

from __future__ import annotations

from opora.core.tasks import enqueue_many
from opora.tickets.domain_events import TicketOpened, TicketSolved
from opora.triage import suggest
from opora.triage.models import TriageModel
from opora.triage.tasks import suggest_ticket_task


def schedule_suggestions(events: list[TicketOpened]) -> None:
    """New tickets get a suggestion in a job, once any model has been trained."""
    if events and TriageModel.objects.exists():
        enqueue_many(suggest_ticket_task, [(e.ticket.pk,) for e in events])


def record_outcomes(events: list[TicketSolved]) -> None:
    """A solved ticket's final values tell whether its suggestion was right."""
    suggest.record_outcomes([e.ticket.pk for e in events])
