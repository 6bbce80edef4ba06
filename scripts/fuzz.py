# ruff: noqa: S603 - runs our own programs with arguments built here
"""Fuzz the REST API from its own OpenAPI document (`make fuzz`).

Starts Opora on a fresh SQLite data folder with the demo data, then runs Schemathesis
over every operation as three clients: an anonymous one, a customer and an agent.
Checks: no 5xx ever, and every status code answered is documented for its operation.
Prints one line per client and a JSON summary last; exits non-zero on any failure.

    .venv/bin/python scripts/fuzz.py [--examples N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate, load the demo and issue tokens; {persona: token}."""
    subprocess.run([str(BIN / "opora"), "migrate", "--noinput", "-v", "0"], env=env, check=True)
    subprocess.run([str(BIN / "opora"), "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    script = (
        "from opora.accounts.models import User\n"
        "from opora.accounts.tokens import issue_token\n"
        "import json\n"
        "agent = User.objects.filter(role='agent', is_active=True, support_line=1).first()\n"
        "customer = User.objects.filter(role='customer', is_active=True).first()\n"
        # The admin scope: every operation is reached as far as the role allows.
        "print(json.dumps({n: issue_token(u, name='fuzz', scopes=['admin'])[1] "
        "for n, u in (('agent', agent), ('customer', customer))}))\n"
    )
    out = subprocess.run(
        [str(BIN / "opora"), "shell", "-c", script],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tokens: dict[str, str] = json.loads(out.strip().splitlines()[-1])
    return tokens


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"Opora did not answer at {url}")


def _run(schema: str, persona: str, token: str | None, args: argparse.Namespace) -> dict[str, int]:
    report = Path(tempfile.mkdtemp(prefix="opora-fuzz-")) / "events.ndjson"
    command = [
        str(BIN / "st"),
        "run",
        schema,
        "--checks",
        CHECKS,
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--no-shrink",
        "--continue-on-failure",
        "--generation-database",
        "none",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--no-color",
    ]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    tail = [line for line in done.stdout.splitlines() if line.strip()][-25:]
    requests = server_errors = failures = 0
    operations: set[str] = set()
    undocumented: dict[str, set[int]] = {}
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        label = recorder.get("label", "")
        if label.startswith(("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")):
            operations.add(label)
        interactions = recorder.get("interactions", {})
        for interaction in interactions.values():
            requests += 1
            status = (interaction.get("response") or {}).get("status_code") or 0
            if status >= 500:
                server_errors += 1
        for case_id, results in recorder.get("checks", {}).items():
            for result in results:
                if str(result.get("status", "")).lower() != "failure":
                    continue
                failures += 1
                response = (interactions.get(case_id) or {}).get("response") or {}
                undocumented.setdefault(label, set()).add(response.get("status_code") or 0)
    print(
        f"{persona}: {requests} requests, {server_errors} answered 5xx, "
        f"{failures} check failures, exit {done.returncode}"
    )
    for label, statuses in sorted(undocumented.items()):
        print(f"  {label}: {sorted(statuses)}")
    if done.returncode != 0 and not undocumented:
        print("\n".join(tail))
    return {
        "requests": requests,
        "operations": len(operations),
        "server_errors": server_errors,
        "failures": failures,
        "exit": done.returncode,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", 20)))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="opora-fuzz-data-")
    port = _free_port()
    env = {
        **os.environ,
        "OPORA_DATA_DIR": data_dir,
        "OPORA_DEBUG": "false",
        "OPORA_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The fuzzer is one client sending thousands of requests: the limits would only
        # answer 429 to it.
        "OPORA_AUTH_RATE_LIMIT_PER_MINUTE": "100000",
        "OPORA_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("OPORA_DATABASE_URL", None)
    tokens = _prepare(env)
    server = subprocess.Popen(
        [str(BIN / "opora"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/healthz")
        schema = f"http://127.0.0.1:{port}/api/v1/openapi.json"
        results = {
            "anonymous": _run(schema, "anonymous", None, args),
            "customer": _run(schema, "customer", tokens["customer"], args),
            "agent": _run(schema, "agent", tokens["agent"], args),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary = {
        "examples_per_operation": args.examples,
        "operations": max(r["operations"] for r in results.values()),
        "requests": sum(r["requests"] for r in results.values()),
        "server_errors": sum(r["server_errors"] for r in results.values()),
        "check_failures": sum(r["failures"] for r in results.values()),
        "clients": results,
    }
    print(json.dumps(summary))
    return 0 if all(r["exit"] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
