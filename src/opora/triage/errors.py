"""Error codes of triage, returned by the API."""

from __future__ import annotations

ADMINS_ONLY = "admins_only"
UNKNOWN_TARGET = "unknown_target"
INVALID_THRESHOLD = "invalid_threshold"
