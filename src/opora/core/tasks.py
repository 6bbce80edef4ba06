"""Background jobs on Django's tasks API, with the database as the queue.

Jobs are `django_tasks.task` functions that take ids (never model instances) and are
safe to run twice. Actions enqueue them so that they run only if the change commits
(with the database queue the job row is written in the change's own transaction);
`opora worker` processes (any number, on any machine) claim and run them; `opora serve`
runs one in-process worker on the embedded default.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from django_tasks.base import Task

from opora.core.bulk import copy_rows
from opora.core.transaction import after_commit

logger = logging.getLogger("opora.tasks")


def enqueue_after_commit(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` so that it runs only if the current transaction
    commits (at once when there is none).

    With the database queue the job's row is written in the transaction itself: it
    commits with the change or not at all, and no worker sees it before. That is one
    durable commit per change instead of two (a reply's delivery job cost a second
    fsync on PostgreSQL). Other queues get the job after commit."""
    if _in_transaction_queue(task):
        task.enqueue(*args, **kwargs)
    else:
        after_commit(task.enqueue, *args, **kwargs)


def enqueue_many_after_commit(task: Task[Any, Any], calls: list[tuple[Any, ...]]) -> None:
    """`enqueue_after_commit` for many calls of one task (bulk intake): with the
    database queue the jobs go in with one multi-row insert."""
    if not calls:
        return
    if _in_transaction_queue(task):
        _enqueue_many(task, calls)
    else:
        after_commit(_enqueue_many, task, calls)


def _in_transaction_queue(task: Task[Any, Any]) -> bool:
    """Whether the job's row can go into the open transaction: the database queue
    (which writes to the one database the change is in), inside a transaction."""
    from django.db import transaction
    from django_tasks_db.backend import DatabaseBackend

    return (
        isinstance(task.get_backend(), DatabaseBackend)
        and transaction.get_connection().in_atomic_block
    )


def enqueue_many(task: Task[Any, Any], calls: list[tuple[Any, ...]]) -> None:
    """Queue many calls of one task now (with the database queue: one multi-row insert)."""
    if calls:
        _enqueue_many(task, calls)


def _enqueue_many(task: Task[Any, Any], calls: list[tuple[Any, ...]]) -> None:
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import normalize_json, task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task.get_backend()
    if len(calls) == 1 or not isinstance(backend, DatabaseBackend):
        for args in calls:
            task.enqueue(*args)
        return
    backend.validate_task(task)
    # The same row DatabaseBackend.enqueue writes, for each call.
    rows: list[DBTaskResult[Any, Any]] = [
        DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": {}}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            # "As soon as possible" is stored as the latest date (pre_save does it for
            # single rows; bulk inserts skip signals).
            run_after=task.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        for args in calls
    ]
    copy_rows(DBTaskResult, rows)
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident() % 100000}"[:64]


def make_worker(*, batch: bool, interval: float = 1.0, max_tasks: int | None = None) -> Any:
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=max_tasks,
        worker_id=worker_id(),
        excluded_queue_names=[],
    )


def run_queued_tasks(max_tasks: int = 1000) -> int:
    """Run what is queued now, in this process, and return how many ran.

    Unlike the worker loop this keeps the database connection open, so it can run
    inside a test's transaction (and for `opora worker --once`).
    """
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    worker = make_worker(batch=True, interval=0, max_tasks=max_tasks)
    ran = 0
    while ran < max_tasks:
        with transaction.atomic():
            result = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if result is None:
                return ran
            result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran
