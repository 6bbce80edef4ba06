"""A ticket with 5,000 messages: the agent's ticket page and the message API, p50/p95.

    .venv/bin/python bench/long_thread.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/long_thread.py --engines postgresql --messages 5000

Each engine gets a fresh database (PostgreSQL with production durability unless
OPORA_PG_DURABLE=0), 2,000 ordinary tickets of five messages and one ticket of
`--messages` messages with one event per message (bench/dataset.py, all its messages at
the same moment: the cursor's ties are the hard case), and `opora serve --no-worker
--workers 2` on 127.0.0.1. Measured one request at a time (the page's own latency) and
at concurrency 8: the ticket page as an agent's browser asks for it, its "Load earlier"
fragment, the message API's first page and the page before it. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench.common import base_env, machine, opora, postgres, serve
from bench.workload import Client, measure, ok

SETUP = """
import json
from django.conf import settings
from django.test import Client
from opora.accounts.models import User
from opora.tickets.models import Ticket
from bench.dataset import generate, people
ids = people()
generate({tickets}, 5, ids)
generate(1, {messages}, ids)
long = Ticket.objects.order_by("-number").values_list("number", flat=True).first()
browser = Client()
browser.force_login(User.objects.get(pk=ids["agents"][0]))
print(json.dumps({{"ids": ids, "number": long, "cookie": settings.SESSION_COOKIE_NAME,
                  "session": browser.cookies[settings.SESSION_COOKIE_NAME].value}}))
"""


def cursor_of(response: Any) -> str:
    """The "Load earlier" cursor of a page or fragment (empty when there is none)."""
    text = response.text
    if "data-load-earlier" not in text:
        return ""
    return text.split('hx-get="', 1)[1].split("?before=", 1)[1].split('"', 1)[0]


def run_engine(engine: str, url: str | None, args: argparse.Namespace, workdir: Path
               ) -> dict[str, Any]:  # fmt: skip
    env = base_env(workdir / engine, url)
    opora("migrate", "--noinput", "-v", "0", env=env)
    out = opora(
        "shell", "-c", SETUP.format(tickets=args.tickets, messages=args.messages), env=env,
        timeout=3600,
    )  # fmt: skip
    setup = json.loads(out.strip().splitlines()[-1])
    number = setup["number"]
    browser = {"Cookie": f"{setup['cookie']}={setup['session']}"}
    token = {"Authorization": f"Bearer {setup['ids']['agent_token']}"}
    result: dict[str, Any] = {"engine": engine, "messages": args.messages}
    with serve(env, workers=2, log=workdir / f"{engine}-serve.log") as base:

        async def page(client: Client, i: int) -> None:
            ok(await client.get(f"/agent/tickets/{number}"))

        async def first_api(client: Client, i: int) -> None:
            response = ok(await client.get(f"/api/v1/tickets/{number}/messages"))
            assert len(response.json()) == 100

        async def earlier_api(client: Client, i: int) -> None:
            response = ok(await client.get(f"/api/v1/tickets/{number}/messages?limit=50"))
            cursor = response.headers["x-next-cursor"]
            ok(await client.get(f"/api/v1/tickets/{number}/messages?limit=50&before={cursor}"))

        # The "Load earlier" fragment, from the cursor the page gives out.
        async def first_cursor() -> str:
            client = Client(base, browser)
            try:
                return cursor_of(ok(await client.get(f"/agent/tickets/{number}")))
            finally:
                await client.close()

        cursor = asyncio.run(first_cursor())
        fragment_headers = {**browser, "HX-Request": "true"}

        async def earlier_page(client: Client, i: int) -> None:
            response = ok(await client.get(f"/agent/tickets/{number}/earlier?before={cursor}"))
            assert "<html" not in response.text

        ops = {
            "ticket_page": (page, browser),
            "load_earlier": (earlier_page, fragment_headers),
            "api_messages_first_page": (first_api, token),
            "api_messages_two_pages": (earlier_api, token),
        }
        for name, (op, headers) in ops.items():
            for concurrency in (1, 8):
                key = f"{name}_c{concurrency}"
                result[key] = measure(
                    base, op, requests=args.requests, concurrency=concurrency,
                    max_seconds=args.max_seconds, headers=headers, warmup=5,
                )  # fmt: skip
                r = result[key]
                print(f"{engine:<10} {key:<30} {r['per_second']:>7.1f}/s  p50 {r['p50_ms']:>7.1f}"
                      f"  p95 {r['p95_ms']:>7.1f}  p99 {r['p99_ms']:>7.1f} ms"
                      f"  errors {r['errors']}")  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--tickets", type=int, default=2000, help="ordinary tickets beside it")
    parser.add_argument("--requests", type=int, default=500, help="per operation at most")
    parser.add_argument("--max-seconds", type=float, default=10, help="per operation at most")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="opora-long-thread-"))
    results = []
    load_before = os.getloadavg()
    try:
        for engine in args.engines.split(","):
            with ExitStack() as stack:
                url = stack.enter_context(postgres()) if engine == "postgresql" else None
                results.append(run_engine(engine, url, args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("load average before:", " ".join(f"{x:.2f}" for x in load_before),
          "after:", " ".join(f"{x:.2f}" for x in os.getloadavg()))  # fmt: skip
    print(json.dumps({"benchmark": "long_thread", "results": results,
                      "load_average": {"before": load_before, "after": os.getloadavg()},
                      "machine": machine()}))  # fmt: skip


if __name__ == "__main__":
    main()
