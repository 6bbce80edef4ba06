"""Moments of the process's life that apps above core may react to (core/dispatch.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddedServerStarting:
    """`opora serve` starts in the embedded default mode: with its own job worker and
    scheduler, as on a single machine (never with `--no-worker`)."""


@dataclass(frozen=True)
class WorkerStarting:
    """A job worker starts (`opora worker`, or the one `opora serve` embeds): apps may
    run something beside the jobs (the monitoring runner) until `stop` is set."""

    stop: threading.Event
