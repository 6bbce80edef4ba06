from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from opora.core import scheduler
from opora.core.models import Lease
from opora.core.tasks import enqueue_after_commit, run_queued_tasks


@task()
def remember(value: str) -> str:
    cache.set("remembered", cache.get("remembered", "") + value)
    return value


@pytest.mark.django_db
def test_a_job_is_queued_with_its_change_and_run_by_a_worker(django_capture_on_commit_callbacks):
    # when a change that enqueues a job is rolled back, no job is left behind
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_after_commit(remember, "lost")
        raise RuntimeError("the change fails")
    assert not DBTaskResult.objects.exists()
    # when it commits, the job waits in the database until a worker runs it
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_after_commit(remember, "a")
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    run_queued_tasks()
    assert cache.get("remembered") == "a"
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db
def test_one_scheduler_holds_the_lease_until_it_lapses():
    assert scheduler.acquire_lease("scheduler", "node-1")
    assert not scheduler.acquire_lease("scheduler", "node-2")
    assert scheduler.acquire_lease("scheduler", "node-1")  # renewal
    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert scheduler.acquire_lease("scheduler", "node-2")  # takeover after a crash
    assert Lease.objects.get().holder == "node-2"


@pytest.mark.django_db
def test_periodic_jobs_are_enqueued_once_per_interval(monkeypatch):
    monkeypatch.setattr(scheduler, "PERIODIC", {})
    scheduler.register_periodic(remember.using(), every=timedelta(minutes=5), name="remember")
    # register_periodic is given a task that takes no arguments in real use; here the
    # worker is not run, only the queue is checked
    assert scheduler.enqueue_due_jobs() == ["remember"]
    assert scheduler.enqueue_due_jobs() == []
    assert DBTaskResult.objects.count() == 1
