"""Monitoring at scale: N HTTP monitors at a fixed interval against a local server.

    .venv/bin/python bench/monitoring.py --monitors 1000 --interval 30 --seconds 180

One Opora process runs the check runner (as a job worker does) on a throwaway SQLite
database (or PostgreSQL with --postgres); the target is a small aiohttp server in
another process. Reported: checks per second sustained, scheduling drift (the moment a
check started minus its due moment) p50/p99/max, the runner process's CPU, and the
results stored. The goal: 1,000 monitors at 30 s with p99 drift under 2 s. The last
line is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import free_port, machine, postgres

SERVER = """
import sys
from aiohttp import web
async def ok(request):
    return web.Response(text="All systems operational")
app = web.Application()
app.router.add_get("/{tail:.*}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(monitors: int, interval: int, seconds: float, database_url: str | None) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="opora-bench-monitoring-"))
    os.environ.update(
        {
            "OPORA_DATA_DIR": str(data_dir),
            "OPORA_SECRET_KEY": "bench-only-key",
            "OPORA_MONITORING_ALLOW_PRIVATE": "true",
            "DJANGO_SETTINGS_MODULE": "opora.settings",
        }
    )
    if database_url:
        os.environ["OPORA_DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from opora.monitoring.models import CheckResult, Monitor
    from opora.monitoring.runner import Runner

    call_command("migrate", verbosity=0, interactive=False)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    try:
        time.sleep(1.5)
        start = timezone.now() + timezone.timedelta(seconds=2)
        Monitor.objects.bulk_create(
            Monitor(
                name=f"site {i}",
                kind="http",
                target=f"http://127.0.0.1:{port}/site/{i}",
                interval_seconds=interval,
                timeout_seconds=10,
                # Spread over the interval, as monitors added over time are.
                next_due_at=start + timezone.timedelta(seconds=interval * i / monitors),
                push_token=f"bench-{i}",
            )
            for i in range(monitors)
        )
        runner = Runner()
        stop = threading.Event()
        cpu_before = os.times()
        thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
        began = time.monotonic()
        thread.start()
        time.sleep(seconds)
        stop.set()
        thread.join(timeout=90)
        elapsed = time.monotonic() - began
        cpu_after = os.times()
        cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        drifts = list(runner.stats.drifts)
        stored = CheckResult.objects.count()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {
        "engine": "postgresql" if database_url else "sqlite",
        "monitors": monitors,
        "interval_s": interval,
        "seconds": round(elapsed, 1),
        "checks": runner.stats.checks,
        "failures": runner.stats.failures,
        "checks_per_s": round(runner.stats.checks / elapsed, 1),
        "expected_per_s": round(monitors / interval, 1),
        "drift_p50_s": round(percentile(drifts, 0.5), 3),
        "drift_p99_s": round(percentile(drifts, 0.99), 3),
        "drift_max_s": round(max(drifts or [0.0]), 3),
        "runner_cpu_percent_of_one_core": round(100 * cpu / elapsed, 1),
        "results_stored": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        with postgres() as url:
            result = run(args.monitors, args.interval, args.seconds, url)
    else:
        result = run(args.monitors, args.interval, args.seconds, None)
    result["machine"] = machine()
    for key, value in result.items():
        if key != "machine":
            print(f"{key}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
