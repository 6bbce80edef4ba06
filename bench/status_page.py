"""The public status page under a crowd: requests per second of /status/ with a warm
cache.

    .venv/bin/python bench/status_page.py [--components 30] [--concurrency 8]
                                         [--seconds 20] [--workers 2]

Builds a throwaway SQLite database with public monitors in groups, 90 days of daily
rollups for each, incidents with public updates and a maintenance window, then starts
`opora serve --no-worker` on a free port of 127.0.0.1 and, after warming each worker's
cache, keeps `--concurrency` keep-alive clients asking for /status/ (half English,
half Russian) for `--seconds` (bounded: a request that takes over 10 s counts as an
error). Reported: requests per second, latency p50/p99, errors, the page's size. The
last line is a JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import base_env, machine, serve


def build(components: int) -> None:
    """The data, written in this process through the ORM (the server reads it)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from opora.monitoring.models import (
        Incident,
        IncidentUpdate,
        MaintenanceWindow,
        Monitor,
        Period,
        Rollup,
        Source,
    )

    call_command("migrate", verbosity=0)
    now = timezone.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    monitors = [
        Monitor.objects.create(
            name=f"m{i}",
            kind="http",
            target=f"https://s{i}.example.test/",
            public=True,
            public_name=f"Service {i}",
            public_group=f"Group {i % 5}",
            state="down" if i == 0 else "up",
        )
        for i in range(components)
    ]
    Rollup.objects.bulk_create(
        Rollup(
            monitor=m,
            period=Period.DAY,
            start=today - timedelta(days=d),
            checks=2880,
            ok=2880 - (d * 7 + m.pk) % 40,
        )
        for m in monitors
        for d in range(90)
    )
    for i in range(6):
        incident = Incident.objects.create(
            key=f"monitor:{monitors[i].pk}",
            source=Source.MONITOR,
            monitor=monitors[i],
            title=f"m{i} is down",
            started_at=now - timedelta(days=i, hours=1),
            detected_at=now - timedelta(days=i),
            resolved_at=None if i == 0 else now - timedelta(days=i) + timedelta(minutes=40),
        )
        for status in ("investigating", "identified", "resolved"):
            IncidentUpdate.objects.create(
                incident=incident, status=status, body=f"{status}: what we know so far."
            )
    MaintenanceWindow.objects.create(
        monitor=monitors[1],
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        note="Database upgrade",
    )


def client_loop(
    base: str, language: str, stop: float, latencies: list[float], errors: list[str]
) -> None:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    headers = {"Accept-Language": language}
    while time.perf_counter() < stop:
        started = time.perf_counter()
        try:
            conn.request("GET", "/status/", headers=headers)
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                errors.append(str(answer.status))
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
            continue
        latencies.append(time.perf_counter() - started)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    concurrency = max(1, min(args.concurrency, 64))
    seconds = max(1.0, min(args.seconds, 300.0))

    data_dir = Path(tempfile.mkdtemp(prefix="opora-bench-status-"))
    env = base_env(data_dir, None)
    # The crowd comes from one address here: lift the per-address limit for the run.
    env["OPORA_STATUS_RATE_LIMIT_PER_MINUTE"] = "100000000"
    os.environ.update({k: v for k, v in env.items() if k.startswith("OPORA_")})
    build(args.components)

    with serve(env, workers=args.workers, log=data_dir / "serve.log") as base:
        warm_latencies: list[float] = []
        warm_errors: list[str] = []
        # Each worker builds its snapshot (locmem cache) on its first request.
        client_loop(base, "en", time.perf_counter() + 2, warm_latencies, warm_errors)
        size = len(_get(base, "en"))
        latencies: list[float] = []
        errors: list[str] = []
        stop = time.perf_counter() + seconds
        threads = [
            threading.Thread(
                target=client_loop,
                args=(base, ("en", "ru")[i % 2], stop, latencies, errors),
            )
            for i in range(concurrency)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 30)
        elapsed = time.perf_counter() - started

    ordered = sorted(latencies)
    figures = {
        "bench": "status_page",
        "components": args.components,
        "concurrency": concurrency,
        "workers": args.workers,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(ordered), 2) if ordered else None,
        "p99_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 2) if ordered else None,
        "errors": len(errors),
        "page_bytes": size,
        "machine": machine(),
    }
    print(
        f"/status/ with a warm cache: {figures['requests_per_second']} requests/s at "
        f"concurrency {concurrency} ({args.workers} workers), p50 {figures['p50_ms']} ms, "
        f"p99 {figures['p99_ms']} ms, {len(errors)} errors, page {size} bytes"
    )
    print(json.dumps(figures))


def _get(base: str, language: str) -> bytes:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", "/status/", headers={"Accept-Language": language})
        return conn.getresponse().read()
    finally:
        conn.close()


if __name__ == "__main__":
    main()
