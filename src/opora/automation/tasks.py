"""Background jobs of automation."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.automation.automations import run_automations
from opora.automation.bot import answer_ticket
from opora.automation.triggers import run_triggers
from opora.core.scheduler import register_periodic


@task()
def answer_new_ticket_task(ticket_id: int) -> None:
    """Let the answer bot reply to a new request (idempotent: one attempt per ticket)."""
    answer_ticket(ticket_id)


@task()
def route_ticket_task(ticket_id: int) -> None:
    """Give a new ticket an agent by its team's routing (it waits if nobody can take it)."""
    from opora.automation.routing import route_ticket

    route_ticket(ticket_id)


@task()
def drain_team_task(team_id: int) -> int:
    """Capacity freed in a team: route its waiting tickets, the soonest due first."""
    from opora.automation.routing import drain

    return drain([team_id])


@task()
def routing_sweep_task() -> int:
    """Work of agents gone offline back to the queue; every team's queue drained."""
    from opora.automation.routing import sweep

    return sweep()


register_periodic(routing_sweep_task, every=timedelta(minutes=1))


@task()
def run_triggers_task(event: str, ticket_id: int, event_key: str, message_id: int | None) -> None:
    """Run the triggers of one event on one ticket (each at most once per event)."""
    run_triggers(event, ticket_id, event_key, message_id)


@task()
def run_automations_task() -> int:
    """Act on tickets that stayed in a status long enough (time automations)."""
    return run_automations()


register_periodic(run_automations_task, every=timedelta(minutes=5))
