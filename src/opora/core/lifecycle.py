"""Moments of the process's life that apps above core may react to (core/dispatch.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddedServerStarting:
    """`opora serve` starts in the embedded default mode: with its own job worker and
    scheduler, as on a single machine (never with `--no-worker`)."""
