"""Complaint jobs: reminders before the deadline."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from opora.complaints.actions import send_reminders
from opora.core.scheduler import register_periodic


@task()
def send_reminders_task() -> int:
    return send_reminders()


register_periodic(send_reminders_task, every=timedelta(minutes=15))
