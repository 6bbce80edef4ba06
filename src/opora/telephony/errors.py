"""Error codes of telephony: lines (console and API), webhooks and calls logged by hand."""

from __future__ import annotations

ADMINS_ONLY = "admins_only"
UNKNOWN_FIELD = "unknown_field"
INVALID = "invalid"
INVALID_NAME = "invalid_name"
INVALID_PROVIDER = "invalid_provider"
INVALID_SECRET = "invalid_secret"  # noqa: S105 - an error code
INVALID_NUMBERS = "invalid_numbers"
INVALID_AGENTS = "invalid_agents"
INVALID_CALLBACK = "invalid_callback_minutes"
UNKNOWN_TEAM = "unknown_team"
WRONG_SIGNATURE = "wrong_signature"
TOO_LARGE = "too_large"
BAD_EVENT = "bad_event"
INVALID_DIRECTION = "invalid_direction"
INVALID_NUMBER = "invalid_number"
INVALID_DURATION = "invalid_duration"
INVALID_OUTCOME = "invalid_outcome"
INVALID_NOTE = "invalid_note"
AGENTS_ONLY = "agents_only"
NO_CALLBACK = "no_callback"
