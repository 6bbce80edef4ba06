"""Background jobs of automation."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.automation.bot import answer_ticket
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
