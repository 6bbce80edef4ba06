"""Load test of Opora's API on SQLite and PostgreSQL at concurrency 8.

    .venv/bin/python bench/load.py                    # both engines, 10k/100k/1M tickets
    .venv/bin/python bench/load.py --engines postgresql --sizes 10000,100000
    .venv/bin/python bench/load.py --quick            # small sizes, a smoke run

Operations: API ticket create (an agent opens a ticket for a customer); the agent
queue (GET /api/v1/tickets?status=new,open,pending&limit=50) with 10k, 100k and 1M
tickets present, at concurrency 8 and, for the page's own latency, one agent at a
time; the ticket page (GET /tickets/{n} and GET /tickets/{n}/messages);
adding a reply. Each engine gets a fresh database, `opora serve --no-worker --workers 2`
on 127.0.0.1, and data from bench/dataset.py (five messages per ticket). The last line
printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench.common import base_env, machine, opora, postgres, serve
from bench.workload import Client, measure, ok

QUEUE = "/api/v1/tickets?status=new,open,pending&limit=50"


def _shell(env: dict[str, str], code: str) -> Any:
    out = opora("shell", "-c", "import json\n" + code, env=env, timeout=3600)
    return json.loads(out.strip().splitlines()[-1])


def _grow(env: dict[str, str], ids: dict[str, Any], target: int, current: int) -> float:
    if target <= current:
        return 0.0
    started = time.monotonic()
    _shell(
        env,
        "from bench.dataset import generate\n"
        f"print(json.dumps(generate({target - current}, 5, json.loads({json.dumps(ids)!r}))))",
    )
    return time.monotonic() - started


def run_engine(engine: str, url: str | None, sizes: list[int], args: argparse.Namespace,
               workdir: Path) -> dict[str, Any]:  # fmt: skip
    env = base_env(workdir / engine, url)
    opora("migrate", "--noinput", "-v", "0", env=env)
    ids = _shell(env, "from bench.dataset import people\nprint(json.dumps(people()))")
    agent = {"Authorization": f"Bearer {ids['agent_token']}"}
    customers = [c[0] for c in ids["customers"]]
    # queue_list: at concurrency 8 (throughput, and latency including the wait for a
    # free core); queue_one_agent: one request at a time (the page's own latency).
    result: dict[str, Any] = {
        "engine": engine, "queue_list": {}, "queue_one_agent": {}, "generate_seconds": {},
    }  # fmt: skip
    single = min(args.requests, 500)
    current = 0
    result["generate_seconds"][sizes[0]] = round(_grow(env, ids, sizes[0], current), 1)
    current = sizes[0]
    with serve(env, workers=args.web_workers, log=workdir / f"{engine}-serve.log") as base:
        numbers = list(range(1, current + 1))
        # bench/dataset.py closes the tickets with (n // 3) % 7 in (5, 6): reply to others.
        open_numbers = [n for n in numbers if (n // 3) % 7 not in (5, 6)]
        rng = random.Random(7)

        async def create(client: Client, i: int) -> None:
            ok(await client.post("/api/v1/tickets", json={
                "subject": f"Cannot print invoice {i}",
                "body": "The invoice PDF prints as empty pages since the update.",
                "requester": customers[i % len(customers)],
                "team": ids["teams"][i % len(ids["teams"])],
                "priority": "normal",
            }), 201)  # fmt: skip

        async def page(client: Client, i: int) -> None:
            n = rng.choice(numbers)
            ok(await client.get(f"/api/v1/tickets/{n}"))
            ok(await client.get(f"/api/v1/tickets/{n}/messages"))

        async def reply(client: Client, i: int) -> None:
            n = rng.choice(open_numbers)
            ok(await client.post(f"/api/v1/tickets/{n}/messages", json={
                "body": "Thank you, we are looking into it and will write back today.",
            }), 201)  # fmt: skip

        async def queue(client: Client, i: int) -> None:
            body = ok(await client.get(QUEUE)).json()
            assert len(body["items"]) == 50

        common = {"headers": agent, "max_seconds": args.max_seconds}
        result["create"] = measure(base, create, requests=args.requests, **common)
        result["ticket_page"] = measure(base, page, requests=args.requests, **common)
        result["reply"] = measure(base, reply, requests=args.requests, **common)
        result["queue_list"][current] = measure(base, queue, requests=args.requests, **common)
        result["queue_one_agent"][current] = measure(
            base, queue, requests=single, concurrency=1, **common
        )
        current += int(result["create"]["requests"]) + 20
    for size in sizes[1:]:
        result["generate_seconds"][size] = round(_grow(env, ids, size, current), 1)
        current = max(current, size)
        with serve(env, workers=args.web_workers, log=workdir / f"{engine}-serve.log") as base:

            async def queue(client: Client, i: int) -> None:
                body = ok(await client.get(QUEUE)).json()
                assert len(body["items"]) == 50

            result["queue_list"][size] = measure(
                base, queue, requests=args.requests, headers=agent, max_seconds=args.max_seconds
            )
            result["queue_one_agent"][size] = measure(
                base, queue, requests=single, concurrency=1, headers=agent,
                max_seconds=args.max_seconds,
            )  # fmt: skip
    return result


def _print(result: dict[str, Any]) -> None:
    def line(name: str, r: dict[str, Any]) -> None:
        print(
            f"  {name:<22} {r['per_second']:>8.1f}/s  p50 {r['p50_ms']:>6.1f}  "
            f"p95 {r['p95_ms']:>6.1f}  p99 {r['p99_ms']:>6.1f} ms  errors {r['errors']}"
        )

    print(f"{result['engine']}:")
    for name in ("create", "ticket_page", "reply"):
        line(name, result[name])
    for size, r in result["queue_list"].items():
        line(f"queue list @{size}", r)
    for size, r in result["queue_one_agent"].items():
        line(f"queue, 1 agent @{size}", r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--sqlite-sizes", default="10000,100000",
                        help="sizes for SQLite (1M takes long to generate there)")  # fmt: skip
    parser.add_argument("--requests", type=int, default=2000, help="per operation")
    parser.add_argument("--max-seconds", type=float, default=30, help="per operation")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1k/5k tickets, 300 requests")
    args = parser.parse_args()
    if args.quick:
        args.sizes = args.sqlite_sizes = "1000,5000"
        args.requests = 300
    workdir = Path(tempfile.mkdtemp(prefix="opora-load-"))
    results = []
    try:
        for engine in args.engines.split(","):
            with ExitStack() as stack:
                if engine == "postgresql":
                    url: str | None = stack.enter_context(postgres())
                    sizes = [int(s) for s in args.sizes.split(",")]
                else:
                    url = None
                    sizes = [int(s) for s in args.sqlite_sizes.split(",")]
                result = run_engine(engine, url, sizes, args, workdir)
            _print(result)
            results.append(result)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({"benchmark": "load", "concurrency": 8, "web_workers": args.web_workers,
                      "results": results, "machine": machine()}))  # fmt: skip


if __name__ == "__main__":
    main()
