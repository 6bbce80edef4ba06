"""Fill PostgreSQL with a large help desk: 1,000,000 tickets, 5,000,000 messages, events.

    .venv/bin/python bench/generate.py                 # throwaway PostgreSQL, full size
    .venv/bin/python bench/generate.py --tickets 100000
    OPORA_DATABASE_URL=postgres://... .venv/bin/python bench/generate.py --keep

Without OPORA_DATABASE_URL a throwaway cluster is started (scripts/with-postgres) and
removed at the end. Prints the time of each phase; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import base_env, machine, opora, postgres

LIMIT_SECONDS = 600


def run(url: str, tickets: int, messages: int) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="opora-bench-"))
    env = base_env(data_dir, url)
    started = time.monotonic()
    opora("migrate", "--noinput", "-v", "0", env=env)
    migrated = time.monotonic() - started
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "opora.settings"
    import django

    django.setup()
    from bench.dataset import counts, generate, people

    ids = people()
    timings = generate(tickets, messages, ids)
    result: dict[str, object] = {
        "benchmark": "generate",
        "engine": "postgresql",
        "tickets": tickets,
        "messages_per_ticket": messages,
        "rows": counts(),
        "seconds": {k: round(v, 1) for k, v in timings.items()},
        "migrate_seconds": round(migrated, 1),
        "under_10_minutes": timings["total"] < LIMIT_SECONDS,
        "machine": machine(),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--messages-per-ticket", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("OPORA_DATABASE_URL", "")
    if url:
        result = run(url, args.tickets, args.messages_per_ticket)
    else:
        with postgres() as url:
            result = run(url, args.tickets, args.messages_per_ticket)
    for phase, seconds in result["seconds"].items():  # type: ignore[attr-defined]
        print(f"{phase:>10}: {seconds:8.1f} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
