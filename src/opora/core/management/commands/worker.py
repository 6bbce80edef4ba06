"""`opora worker`: run background jobs; start as many as you like, on any machine."""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opora.core import dispatch
from opora.core.heartbeat import forget, start_heartbeat
from opora.core.lifecycle import WorkerStarting
from opora.core.metrics import connect_task_metrics
from opora.core.scheduler import run_scheduler
from opora.core.tasks import make_worker, run_queued_tasks, worker_id


class Command(BaseCommand):
    help = "Run background jobs (and, with --scheduler, enqueue periodic ones)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls when idle"
        )
        parser.add_argument(
            "--scheduler",
            action="store_true",
            help="also run the periodic-job scheduler (only one holder of its lease acts)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            run_queued_tasks()
            return
        stop = threading.Event()
        if options["scheduler"]:
            threading.Thread(
                target=run_scheduler, args=(worker_id(),), kwargs={"stop": stop}, daemon=True
            ).start()
        try:
            connect_task_metrics()
            worker = make_worker(batch=False, interval=options["interval"])
            beating = start_heartbeat(worker.worker_id)
            # Apps run what belongs beside the jobs (the monitoring runner) until stop.
            dispatch.publish([WorkerStarting(stop)])
            try:
                worker.configure_signals()
                worker.run()
            finally:
                beating.set()
                forget(worker.worker_id)
        finally:
            stop.set()
