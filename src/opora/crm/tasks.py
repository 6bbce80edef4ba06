"""The import job."""

from __future__ import annotations

from django_tasks import task

from opora.crm import importing


@task()
def run_import(job_id: int) -> str:
    """Import a queued CSV file: all rows or none (crm/importing.py)."""
    job = importing.run(job_id)
    return job.state if job is not None else "missing"
