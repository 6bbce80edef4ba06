"""Jobs of monitoring: rollups for the charts, and retention."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.core.scheduler import register_periodic
from opora.monitoring import actions, linking, rollups, status, subscribers


@task()
def roll_up_results() -> None:
    """Sum the current and previous hours (and their days) for the charts, and
    rebuild the status page's snapshot with today's uptime."""
    rollups.roll_up()
    status.rebuild()


@task()
def forget_old_results() -> dict[str, int]:
    return actions.forget_old()


@task()
def mail_status_update(update_id: int) -> int:
    """A public incident update to the status page's confirmed subscribers."""
    return subscribers.mail_update(update_id)


@task()
def tell_linked_customers(incident_id: int) -> int:
    """The resolution notice to the customers whose tickets are linked to it."""
    return linking.tell_customers(incident_id, by=actions.monitoring_user())


register_periodic(roll_up_results, every=timedelta(minutes=5))
register_periodic(forget_old_results, every=timedelta(hours=1))
