"""Training as a background job: "Train now" (console or API) queues a run, a job does
it, the console and the API show its state (queued, running, done with each target's
accuracy and time, or the error); the nightly job queues its own run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from opora.core import clock
from opora.core.models import AdminChange
from opora.core.tasks import run_queued_tasks
from opora.triage import training
from opora.triage.models import RunStatus, TrainingRun, TriageModel
from opora.triage.tasks import train_triage_task
from tests.triage.conftest import signed_in
from tests.writes import nothing_written


def test_train_now_in_the_console_runs_in_the_background(
    history, ada, django_capture_on_commit_callbacks
):
    admin = signed_in(ada)
    with django_capture_on_commit_callbacks(execute=True):
        queued = admin.post("/admin/triage/train", follow=True)
    # the request only queued the run: no model yet, the page says so and refreshes
    page = queued.content.decode()
    assert "Training queued" in page
    assert 'data-triage-run="queued"' in page and "data-run-pending" in page
    assert "window.location.reload" in page and 'nonce="' in page
    assert "disabled" in page.split("data-triage-train")[1].split(">")[0]
    assert not TriageModel.objects.exists()
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.QUEUED and run.requested_by == ada
    assert AdminChange.objects.filter(area="triage", action="trained").count() == 1

    # when the job runs, the page shows each target's figures
    run_queued_tasks()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.started_at and run.finished_at
    page = admin.get("/admin/triage/").content.decode()
    assert 'data-triage-run="done"' in page and "data-run-pending" not in page
    team_line = page.split('data-run-target="team"')[1].split("</li>")[0]
    assert "%" in team_line and "version 1, 120 tickets" in team_line
    # the generated history has type and priority, so all four trained
    assert page.count("data-run-target=") == 4
    results = {r["target"]: r for r in run.results}
    assert results["team"]["version"] == 1 and 0.5 < results["team"]["accuracy"] <= 1
    assert results["tags"]["version"] == 1
    assert TriageModel.objects.filter(target="team").count() == 1


def test_asking_again_while_queued_joins_the_run(history, ada, django_capture_on_commit_callbacks):
    admin = signed_in(ada)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/admin/triage/train")
        admin.post("/admin/triage/train")
    assert TrainingRun.objects.count() == 1
    assert AdminChange.objects.filter(area="triage", action="trained").count() == 1
    run_queued_tasks()  # the second job finds the run done and leaves it
    assert TriageModel.objects.filter(target="team").count() == 1
    # a run left "queued" for hours (its worker gone) no longer holds a new one back
    long_ago = clock.now() - timedelta(hours=3)
    TrainingRun.objects.update(status=RunStatus.QUEUED, requested_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/admin/triage/train")
    assert TrainingRun.objects.count() == 2


def test_a_failed_training_shows_its_error(
    history, ada, api, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(targets=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(training, "train", broken)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = api(ada).post("/triage/train").json()["id"]
    run_queued_tasks()
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == RunStatus.FAILED and run.error == "RuntimeError: disk full"
    page = signed_in(ada).get("/admin/triage/").content.decode()
    assert 'data-triage-run="failed"' in page
    assert "Training failed" in page and "disk full" in page.split("data-run-error")[1]
    shown = api(ada).get(f"/triage/train/{run_id}").json()
    assert shown["status"] == "failed" and shown["error"] == "RuntimeError: disk full"


def test_the_api_queues_a_run_and_reads_it_back(
    history, ada, api, django_capture_on_commit_callbacks
):
    admin = api(ada)
    with django_capture_on_commit_callbacks(execute=True):
        queued = admin.post("/triage/train")
    assert queued.status_code == 202
    run = queued.json()
    assert run["status"] == "queued" and run["results"] == [] and run["finished_at"] is None
    assert admin.get(f"/triage/train/{run['id']}").json()["status"] == "queued"
    run_queued_tasks()
    done = admin.get(f"/triage/train/{run['id']}").json()
    assert done["status"] == "done" and done["seconds"] >= 0
    results = {r["target"]: r for r in done["results"]}
    assert results["team"]["samples"] == 120 and results["team"]["version"] == 1
    assert results["tags"]["classes"] == 2
    assert admin.get("/triage/train/999999").status_code == 404


@pytest.mark.parametrize("who", ["alice", "lena"])
def test_agents_cannot_train(history, api, request, who):
    person = request.getfixturevalue(who)
    client = api(person)
    web = signed_in(person)
    with nothing_written():
        assert client.post("/triage/train").status_code == 403
        assert client.get("/triage/train/1").status_code == 403
        assert web.post("/admin/triage/train").status_code == 403
    assert not TrainingRun.objects.exists()


def test_the_nightly_job_queues_its_own_run(history):
    train_triage_task.call()
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.DONE and run.requested_by is None
    assert TriageModel.objects.filter(target="team").exists()
    # with a run already pending, the nightly job leaves it to its own job
    pending = TrainingRun.objects.create(requested_at=clock.now())
    train_triage_task.call()
    assert TrainingRun.objects.count() == 2
    pending.refresh_from_db()
    assert pending.status == RunStatus.QUEUED
