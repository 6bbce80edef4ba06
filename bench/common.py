"""What the benchmarks share: a throwaway PostgreSQL, Opora processes, a data set.

Everything listens on 127.0.0.1 only and every wait is bounded.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_mb": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        # PostgreSQL runs with fsync and synchronous_commit on unless OPORA_PG_DURABLE=0.
        "postgres_durable": os.environ.get("OPORA_PG_DURABLE", "1") == "1",
    }


def postgres_env(**extra: str) -> dict[str, str]:
    """The environment for scripts/with-postgres in a benchmark: durable by default."""
    return dict(os.environ, OPORA_PG_DURABLE=os.environ.get("OPORA_PG_DURABLE", "1"), **extra)


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (scripts/with-postgres) for the duration; its URL.

    With production durability (fsync, synchronous_commit) unless OPORA_PG_DURABLE=0."""
    holder = subprocess.Popen(
        [
            str(ROOT / "scripts" / "with-postgres"),
            sys.executable,
            "-c",
            "import os,sys; print(os.environ['OPORA_DATABASE_URL'], flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=postgres_env(),
    )
    assert holder.stdout is not None and holder.stdin is not None
    url = holder.stdout.readline().strip()
    try:
        if not url.startswith("postgres://"):
            raise RuntimeError("PostgreSQL did not start")
        yield url
    finally:
        holder.stdin.close()
        holder.wait(timeout=120)


def opora(*args: str, env: dict[str, str], timeout: float = 1800) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "opora", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"opora {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def base_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OPORA_"))}
    env["OPORA_DATA_DIR"] = str(data_dir)
    env["OPORA_SECRET_KEY"] = "bench-only-key"
    env["PYTHONPATH"] = str(ROOT)
    if database_url:
        env["OPORA_DATABASE_URL"] = database_url
    return env


@contextmanager
def serve(env: dict[str, str], *, workers: int, log: Path) -> Iterator[str]:
    """`opora serve --no-worker --workers N` on a free port; yields its base URL."""
    with serve_process(env, workers=workers, log=log) as (base, _pid):
        yield base


@contextmanager
def serve_process(env: dict[str, str], *, workers: int, log: Path) -> Iterator[tuple[str, int]]:
    """`serve`, also yielding the process id whose tree is the server (for CPU use)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "opora", "serve", "--no-worker", "--workers", str(workers),
         "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited while starting: {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer: {url}")
