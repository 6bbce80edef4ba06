"""How fast the agent queue page renders as the ticket count grows.

    .venv/bin/python bench/queue_page.py [--tickets 1000] [--requests 30]

Builds a throwaway SQLite database (or uses OPORA_DATABASE_URL), creates tickets through
tickets.actions, then requests the "All open" queue page as an agent through Django's
full stack. Prints figures, and a JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    os.environ.setdefault("OPORA_DATA_DIR", tempfile.mkdtemp(prefix="opora-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from opora.accounts.actions import create_team, create_user
    from opora.tickets import actions

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    admin = create_user(email="admin@bench.test", role="admin", password="x" * 12, by=None)
    agent = create_user(email="agent@bench.test", role="agent", by=admin)
    team = create_team(name="Bench", members=[agent.pk], by=admin)
    customers = [create_user(email=f"c{i}@bench.test", by=None) for i in range(50)]
    started = time.perf_counter()
    for i in range(args.tickets):
        actions.create_ticket(
            requester=customers[i % 50],
            by=agent,
            subject=f"Case {i}",
            body="Something broke.",
            team=team,
            priority=("low", "normal", "high", "urgent")[i % 4],
            tags=[f"t{i % 7}"],
        )
    created = time.perf_counter() - started

    client = Client()
    client.force_login(agent)
    url = "/agent/?view=open&sort=-priority"
    client.get(url)
    timings = []
    executed: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    for _ in range(args.requests):
        t0 = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    timings.sort()
    result = {
        "benchmark": "queue_page",
        "tickets": args.tickets,
        "requests": args.requests,
        "database": connection.vendor,
        "queries_per_page": len(executed),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "tickets_created_per_s": round(args.tickets / created, 1),
        "python": platform.python_version(),
    }
    print(f"{args.tickets} tickets created in {created:.1f} s")
    print(
        f"queue page: median {result['median_ms']} ms, p95 {result['p95_ms']} ms, "
        f"{result['queries_per_page']} queries"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
