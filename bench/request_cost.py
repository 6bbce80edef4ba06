"""Where an API request's time goes: CPU per request and SQL statements, in one process.

    .venv/bin/python bench/request_cost.py                         # SQLite, 10k tickets
    scripts/with-postgres .venv/bin/python bench/request_cost.py   # PostgreSQL
    ... bench/request_cost.py --tickets 100000 --requests 300
    ... bench/request_cost.py --profile create   # + its SQL and a cProfile summary

The load benchmark (bench/load.py) says how fast; this one says why. Each operation of
the load test (create, ticket page, reply, queue list) runs N times through Django's
full request handling (test client: middleware, routing, django-ninja, the ORM), no
network and no other process. Reported per request: wall time, CPU time of this
process (Python), the number of SQL statements and the time the database driver waited
for them. The last line is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
if not os.environ.get("OPORA_DATABASE_URL"):
    os.environ["OPORA_DATA_DIR"] = tempfile.mkdtemp(prefix="opora-bench-")
os.environ.setdefault("OPORA_SECRET_KEY", "bench-only-key")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.common import machine  # noqa: E402
from bench.dataset import generate, people  # noqa: E402

QUEUE = "/api/v1/tickets?status=new,open,pending&limit=50"


def operations(ids: dict[str, Any], tickets: int) -> dict[str, Callable[[int], None]]:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ids['agent_token']}")
    rng = random.Random(7)
    # bench/dataset.py closes the tickets with (n // 3) % 7 in (5, 6).
    open_numbers = [n for n in range(1, tickets + 1) if (n // 3) % 7 not in (5, 6)]

    def check(response: Any, status: int = 200) -> None:
        if response.status_code != status:
            raise AssertionError(f"{response.status_code} {response.content[:300]!r}")

    def create(i: int) -> None:
        check(client.post("/api/v1/tickets", {
            "subject": f"Cannot print invoice {i}",
            "body": "The invoice PDF prints as empty pages since the update.",
            "requester": ids["customers"][i % len(ids["customers"])][0],
            "team": ids["teams"][i % len(ids["teams"])],
            "priority": "normal",
        }, content_type="application/json"), 201)  # fmt: skip

    def ticket_page(i: int) -> None:
        n = rng.randrange(1, tickets + 1)
        check(client.get(f"/api/v1/tickets/{n}"))
        check(client.get(f"/api/v1/tickets/{n}/messages"))

    def reply(i: int) -> None:
        n = rng.choice(open_numbers)
        check(client.post(f"/api/v1/tickets/{n}/messages", {
            "body": "Thank you, we are looking into it and will write back today.",
        }, content_type="application/json"), 201)  # fmt: skip

    def queue_list(i: int) -> None:
        check(client.get(QUEUE))

    return {"create": create, "ticket_page": ticket_page, "reply": reply, "queue_list": queue_list}


def cost(op: Callable[[int], None], requests: int) -> dict[str, float]:
    for i in range(10):  # warm caches, connections, lazy imports
        op(i)
    with CaptureQueriesContext(connection) as captured:
        op(10)
    statements = [q for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    db_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(requests):
        op(11 + i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "wall_ms": round(wall / requests * 1000, 2),
        "cpu_ms": round(cpu / requests * 1000, 2),
        "statements": len(statements),
        "db_wait_ms_one_request": round(db_ms, 2),
    }


def profile(op: Callable[[int], None], requests: int) -> None:
    """Print one request's SQL and where the CPU time of `requests` of them goes."""
    import cProfile
    import pstats

    with CaptureQueriesContext(connection) as captured:
        op(10_000)
    for q in captured.captured_queries:
        print(f"  sql {float(q['time']) * 1000:5.1f} ms  {q['sql'][:110]}")
    # CPU time, not wall time: waits for the database (a durable COMMIT's fsync) and
    # for other processes on a loaded machine do not show as Python's cost.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(requests):
        op(20_000 + i)
    profiler.disable()
    if os.environ.get("OPORA_BENCH_PROFILE_OUT"):
        profiler.dump_stats(os.environ["OPORA_BENCH_PROFILE_OUT"])
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", choices=["create", "ticket_page", "reply", "queue_list"])
    parser.add_argument("--only", default="", help="comma-separated operations to measure")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    ids = people()
    generate(args.tickets, 5, ids)
    results: dict[str, Any] = {}
    ops = operations(ids, args.tickets)
    if args.profile:
        ops[args.profile](0)  # warm up
        profile(ops[args.profile], args.requests)
        return
    for name, op in ops.items():
        if args.only and name not in args.only.split(","):
            continue
        results[name] = cost(op, args.requests)
        r = results[name]
        print(
            f"{name:<12} wall {r['wall_ms']:>6.2f} ms  cpu {r['cpu_ms']:>6.2f} ms  "
            f"statements {r['statements']:>2}  db wait {r['db_wait_ms_one_request']:.2f} ms"
        )
    print(json.dumps({"benchmark": "request_cost", "engine": connection.vendor,
                      "tickets": args.tickets, "requests": args.requests,
                      "results": results, "machine": machine()}))  # fmt: skip


if __name__ == "__main__":
    main()
