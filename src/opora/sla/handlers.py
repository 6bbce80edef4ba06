"""How the SLA app reacts to ticket changes (subscribed in `SlaConfig.ready()`)."""

from __future__ import annotations

from opora.core.tasks import enqueue_many
from opora.sla import config
from opora.tickets.domain_events import TicketOpened, TicketReclassified, TicketSolved
from opora.tickets.models import TicketType


def apply_rules(events: list[TicketOpened] | list[TicketReclassified]) -> None:
    """New or reclassified tickets may match an escalation rule: check them in a job."""
    from opora.sla.tasks import apply_escalation_rules_task

    if not config.configuration().any_rule:
        return  # with no active rule the job would find nothing to do
    ids = dict.fromkeys(e.ticket.pk for e in events)
    enqueue_many(apply_escalation_rules_task, [(pk,) for pk in ids])


def update_incidents(events: list[TicketSolved]) -> None:
    """A solved problem tells its incidents (and their requesters)."""
    from opora.sla.tasks import notify_problem_solved

    problems = [(e.ticket.pk,) for e in events if e.ticket.type == TicketType.PROBLEM]
    enqueue_many(notify_problem_solved, problems)
