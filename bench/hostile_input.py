"""Hostile input against a running desk: what each worst case costs, and how long a
colleague's ordinary request waited meanwhile.

Starts `opora serve` on the embedded default (SQLite, where one writer at a time is the
rule and a slow write would stall everyone) or on PostgreSQL (`--engine postgresql`,
production durability), then sends each hostile input while an agent keeps replying to
another ticket every 20 ms. For each case: the hostile request's answer and time, and
the ordinary requests' p50/p99/max latency during it (against a quiet baseline). A
normal large input of the same size is measured beside each hostile one.

    .venv/bin/python bench/hostile_input.py [--engine sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, base_env, machine, opora, postgres, serve

SETUP = """
import json
from opora.accounts.actions import create_user, issue_api_token, create_team
from opora.tickets.actions import create_ticket
admin = create_user(email="admin@bench.test", password="x" * 12, role="admin", by=None)
agent = create_user(
    email="agent@bench.test", password="x" * 12, role="agent", support_line=1, by=admin
)
customer = create_user(email="customer@bench.test", password="x" * 12, by=None)
team = create_team(name="Support", members=[agent.pk], by=admin)
busy = create_ticket(requester=customer, subject="Busy", body="ordinary", by=admin, team=team)
target = create_ticket(requester=customer, subject="Target", body="hostile", by=admin, team=team)
print(json.dumps({
    "agent": issue_api_token(agent)[1],
    "customer": issue_api_token(customer)[1],
    "busy": busy.number,
    "target": target.number,
}))
"""


def _post(base: str, path: str, token: str, body: bytes, timeout: float = 600) -> tuple[int, float]:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/api/v1" + path,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


class Colleague(threading.Thread):
    """An agent replying to another ticket every 20 ms; keeps each reply's latency."""

    def __init__(self, base: str, token: str, number: int) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.number = base, token, number
        self.samples: list[tuple[float, float]] = []  # (started at, seconds)
        self.stop = threading.Event()

    def run(self) -> None:
        body = json.dumps({"body": "An ordinary reply.", "internal": True}).encode()
        while not self.stop.is_set():
            at = time.monotonic()
            _status, seconds = _post(
                self.base, f"/tickets/{self.number}/messages", self.token, body, 60
            )
            self.samples.append((at, seconds))
            self.stop.wait(0.02)

    def during(self, start: float, end: float) -> dict[str, float]:
        waits = [s for at, s in self.samples if start <= at <= end or start <= at + s <= end]
        if not waits:
            return {"requests": 0}
        waits.sort()
        return {
            "requests": len(waits),
            "p50_ms": round(statistics.median(waits) * 1000, 1),
            "p99_ms": round(waits[min(len(waits) - 1, int(len(waits) * 0.99))] * 1000, 1),
            "max_ms": round(waits[-1] * 1000, 1),
        }


def _mail(html: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Stranger <stranger@mail.test>"
    message["To"] = "support@bench.test"
    message["Subject"] = subject
    message.set_content("See the HTML part.")
    message.add_alternative(html, subtype="html")
    return bytes(message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        url = stack.enter_context(postgres()) if args.engine == "postgresql" else None
        data = Path(tempfile.mkdtemp(prefix="opora-hostile-"))
        env = base_env(data, url)
        opora("migrate", "--noinput", "-v", "0", env=env)
        ids = json.loads(opora("shell", "-c", SETUP, env=env).strip().splitlines()[-1])
        base = stack.enter_context(serve(env, workers=1, log=data / "serve.log"))
        colleague = Colleague(base, ids["agent"], ids["busy"])
        colleague.start()
        time.sleep(3)
        quiet_end = time.monotonic()
        results["baseline"] = colleague.during(quiet_end - 3, quiet_end)

        target = ids["target"]
        deep = 100_000
        api_cases: dict[str, tuple[str, str, bytes]] = {
            "json nested 100,000 deep": (
                ids["customer"],
                f"/tickets/{target}/messages",
                ("[" * deep + "]" * deep).encode(),
            ),
            "json flat, same size": (
                ids["customer"],
                f"/tickets/{target}/messages",
                json.dumps({"body": "x" * (2 * deep - 12)}).encode(),
            ),
            "100,000 tags": (
                ids["agent"],
                f"/tickets/{target}/messages",
                json.dumps({"body": "x", "tags": [f"t{i}" for i in range(100_000)]}).encode(),
            ),
            "reply of 990 KB": (
                ids["customer"],
                f"/tickets/{target}/messages",
                json.dumps({"body": "word " * 198_000}).encode(),
            ),
        }
        for name, (token, path, body) in api_cases.items():
            start = time.monotonic()
            status, seconds = _post(base, path, token, body)
            time.sleep(0.2)
            results[name] = {
                "status": status,
                "bytes": len(body),
                "seconds": round(seconds, 3),
                "colleague": colleague.during(start, time.monotonic()),
            }

        nested = 200_000
        mail_cases = {
            "mail: 200,000 nested divs": _mail(
                "<div>" * nested + "Help!" + "</div>" * nested, "Nested"
            ),
            "mail: flat HTML, same size": _mail(
                "<p>Hello, the printer is broken.</p>\n" * 60_000, "Flat"
            ),
        }
        for name, raw in mail_cases.items():
            eml = data / "mail.eml"
            eml.write_bytes(raw)
            start = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "opora", "ingest", str(eml)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            seconds = time.monotonic() - start
            time.sleep(0.2)
            results[name] = {
                "status": done.returncode,
                "bytes": len(raw),
                "seconds": round(seconds, 3),
                "colleague": colleague.during(start, time.monotonic()),
            }
        colleague.stop.set()
        colleague.join(timeout=60)

    for name, figures in results.items():
        print(f"{name:32} {figures}")
    print(
        json.dumps(
            {
                "engine": args.engine,
                "cases": results,
                "load_before": [round(x, 2) for x in load_before],
                "load_after": [round(x, 2) for x in os.getloadavg()],
                "machine": machine(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
