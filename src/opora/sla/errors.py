"""Error codes of SLA, escalation and the development hand-off."""

from __future__ import annotations

INVALID_LEVEL = "invalid_level"
AGENTS_ONLY = "agents_only"
REASON_REQUIRED = "reason_required"
NOT_HIGHER = "not_higher"
NOT_LOWER = "not_lower"
NO_LEAD = "no_lead"
HANDOFF_DISABLED = "handoff_disabled"
BAD_SIGNATURE = "bad_signature"
UNKNOWN_PROBLEM = "unknown_problem"
AGENTS_ONLY = "agents_only"
