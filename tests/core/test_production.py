"""Production mode in one process: health, readiness, metrics, heartbeats, the reaper."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from opora.core import heartbeat
from opora.core.dbrouter import ReplicaRouter, reading_from_replica
from opora.core.logs import JsonFormatter
from opora.core.metrics import EMAIL_INGESTED
from opora.core.models import WorkerHeartbeat
from opora.tickets.models import Ticket


@task()
def noop() -> str:
    return "done"


def _running_job(worker_id: str, *, started_minutes_ago: int) -> DBTaskResult:  # type: ignore[type-arg]
    noop.enqueue()
    job = DBTaskResult.objects.get(status="READY")
    job.claim(worker_id)
    DBTaskResult.objects.filter(id=job.id).update(
        started_at=timezone.now() - timedelta(minutes=started_minutes_ago)
    )
    return job


@pytest.mark.django_db
def test_readyz_needs_a_live_worker(client: Client):
    # given no worker has ever beaten
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["database"] == "ok"
    assert not_ready.json()["checks"]["worker"].startswith("failed")
    # when a worker beats
    heartbeat.beat("node-a-1")
    # then the node is ready and /healthz never depended on it
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["checks"] == {"database": "ok", "redis": "not configured", "worker": "ok"}
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_a_stale_heartbeat_makes_the_node_unready(client: Client, settings):
    heartbeat.beat("node-a-1")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(hours=1))
    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_jobs_of_a_dead_worker_go_back_to_the_queue_and_run_again():
    # given a job claimed by a worker that stopped beating long ago
    heartbeat.beat("dead-worker")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=10))
    job = _running_job("dead-worker", started_minutes_ago=5)
    # when the reaper runs
    requeued = heartbeat.reap_dead_workers()
    # then the job is ready again and the next worker completes it
    assert requeued == [str(job.id)]
    from opora.core.tasks import run_queued_tasks

    run_queued_tasks()
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL"
    assert job.worker_ids[0] == "dead-worker"
    assert len(job.worker_ids) == 2


@pytest.mark.django_db
def test_jobs_of_live_workers_and_finished_jobs_are_left_alone():
    # given a long job of a worker that keeps beating, and a job that finished
    heartbeat.beat("busy-worker")
    busy = _running_job("busy-worker", started_minutes_ago=30)
    noop.enqueue()
    from opora.core.tasks import run_queued_tasks

    run_queued_tasks()
    # when the reaper runs
    assert heartbeat.reap_dead_workers() == []
    # then nothing changed
    busy.refresh_from_db()
    assert busy.status == "RUNNING"
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


@pytest.mark.django_db
def test_a_just_claimed_job_is_not_reaped_before_its_worker_first_beats():
    job = _running_job("new-worker", started_minutes_ago=0)
    assert heartbeat.reap_dead_workers() == []
    job.refresh_from_db()
    assert job.status == "RUNNING"


@pytest.mark.django_db
def test_metrics_show_latency_by_route_queue_depth_and_ingest_counters(client: Client):
    # given some traffic, a waiting job and a counted e-mail
    client.get("/healthz")
    noop.enqueue()
    EMAIL_INGESTED.labels(result="ticket").inc()
    # when Prometheus scrapes
    response = client.get("/metrics")
    text = response.content.decode()
    # then the text format carries each of them
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert (
        'opora_http_request_duration_seconds_count{method="GET",route="healthz",status="2xx"}'
        in text
    )
    assert "opora_task_queue_depth 1.0" in text
    assert 'opora_email_ingested_total{result="ticket"}' in text
    assert "opora_workers_alive 0.0" in text


def test_json_log_lines_are_one_object_each_with_extra_fields():
    record = logging.LogRecord("opora.test", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.ticket = 42
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "hello you"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "opora.test"
    assert entry["ticket"] == 42


def test_report_reads_go_to_the_replica_only_when_asked(monkeypatch):
    from django.conf import settings

    monkeypatch.setitem(settings.DATABASES, "replica", dict(settings.DATABASES["default"]))
    router = ReplicaRouter()
    assert router.db_for_read(Ticket) is None
    with reading_from_replica():
        assert router.db_for_read(Ticket) == "replica"
        assert router.db_for_write(Ticket) == "default"
    assert router.allow_migrate("replica", "tickets") is False
