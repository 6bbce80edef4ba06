"""`opora serve`: the ASGI server (HTTP now, WebSocket with the same process later)."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from opora.conf import env_bool, env_int, env_str
from opora.core import dispatch
from opora.core.lifecycle import EmbeddedServerStarting, WorkerStarting


class Command(BaseCommand):
    help = "Start Opora's web server (uvicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default=env_str("OPORA_HOST", "127.0.0.1"), help="address to listen on"
        )
        parser.add_argument(
            "--port", type=int, default=env_int("OPORA_PORT", 8000), help="port to listen on"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("OPORA_WEB_WORKERS", 1, minimum=1),
            help="number of web processes",
        )
        parser.add_argument(
            "--migrate", action="store_true", help="apply database migrations first"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            default=not env_bool("OPORA_EMBEDDED_WORKER", True),
            help="do not run background jobs and the scheduler in this process",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if not options["no_worker"]:
            self._start_embedded_worker()
            # Apps may add to the embedded mode (the demo's messenger simulator).
            dispatch.publish([EmbeddedServerStarting()])
        uvicorn.run(
            "opora.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            lifespan="off",
            # Client addresses come from X-Forwarded-For only when the proxy in front
            # is named in OPORA_TRUSTED_PROXIES (uvicorn would trust 127.0.0.1 by default).
            proxy_headers=bool(settings.TRUSTED_PROXIES),
            forwarded_allow_ips=",".join(settings.TRUSTED_PROXIES) or None,
            log_level="info",
            access_log=False,
        )

    def _start_embedded_worker(self) -> None:
        """The embedded default: one job worker and the scheduler as threads of this process."""
        from opora.core.heartbeat import start_heartbeat
        from opora.core.metrics import connect_task_metrics
        from opora.core.scheduler import run_scheduler
        from opora.core.tasks import make_worker, worker_id

        stop = threading.Event()
        threading.Thread(
            target=run_scheduler, args=(worker_id(),), kwargs={"stop": stop}, daemon=True
        ).start()
        connect_task_metrics()
        worker = make_worker(batch=False, interval=1.0)
        start_heartbeat(worker.worker_id)
        threading.Thread(target=worker.run, name="opora-worker", daemon=True).start()
        dispatch.publish([WorkerStarting(stop)])
