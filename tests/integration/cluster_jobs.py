"""Jobs for the cluster test: they leave a trace of each run in a file.

Importable by `opora worker` processes started from the project root.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


def _append(path: Path, line: str) -> None:
    with path.open("a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


@task()
def mark(trace: str, key: str) -> None:
    """Record one run of job `key`."""
    _append(Path(trace), f"ran {key} {os.getpid()}")


@task()
def slow(trace: str, seconds: float) -> None:
    """The first run works for `seconds` (long enough to be killed); a retry is quick."""
    path = Path(trace)
    first_run = not path.exists()
    _append(path, f"started {os.getpid()}")
    if first_run:
        time.sleep(seconds)
    _append(path, f"finished {os.getpid()}")
