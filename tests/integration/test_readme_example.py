"""`make run` in miniature: migrate, load the demo, serve, and run the README's curl example."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _opora(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opora", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["OPORA_DATA_DIR"] = str(tmp_path / "var")
    migrated = _opora("migrate", "--noinput", "-v", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr
    demo = _opora("demo", env=env)
    assert demo.returncode == 0, demo.stderr
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "opora", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("opora serve did not start") from None
                time.sleep(0.2)
        yield port, demo.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_readme_curl_example_works_as_written(server):
    port, demo_output = server
    # the demo printed how to sign in
    assert "alice@opora.local" in demo_output
    assert "demo12345" in demo_output
    # given the shell block between the api-example markers of the README
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- api-example -->\s*```sh\n(.*?)```", readme, re.S)
    assert match, "README lost its API example"
    script = match.group(1).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    # when it runs in a shell
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # then the ticket was created and the list shows it first
    assert result.returncode == 0, result.stderr
    created_line, listed_line = [line for line in result.stdout.splitlines() if line.strip()][-2:]
    created = json.loads(created_line)
    listed = json.loads(listed_line)
    assert created["subject"] == "Printer does not print"
    assert created["priority"] == "high"
    assert listed["items"][0]["number"] == created["number"]
