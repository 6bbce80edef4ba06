"""Background jobs of the reports (found by core's task autodiscovery)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.core.scheduler import register_periodic


@task()
def weekly_digest_task() -> int:
    """The weekly KPI digest, once it is Monday morning in the desk's time zone."""
    from opora.reports.digest import send_due_digests

    return send_due_digests()


# Checked every quarter of an hour; each person's digest goes out once a week.
register_periodic(weekly_digest_task, every=timedelta(minutes=15))
