"""Error codes of remote sessions and their tools (console, ticket page and API)."""

from __future__ import annotations

ADMINS_ONLY = "admins_only"
UNKNOWN_FIELD = "unknown_field"
INVALID = "invalid"
INVALID_NAME = "invalid_name"
INVALID_KIND = "invalid_kind"
INVALID_TEMPLATE = "invalid_template"
INVALID_INSTRUCTIONS = "invalid_instructions"
INVALID_SECRET = "invalid_secret"  # noqa: S105 - an error code
TOOL_IN_USE = "tool_in_use"
UNKNOWN_TOOL = "unknown_tool"
SESSION_ID_REQUIRED = "session_id_required"
INVALID_SESSION_ID = "invalid_session_id"
INVALID_PASSWORD = "invalid_password"  # noqa: S105 - an error code
TICKET_CLOSED = "ticket_closed"
ALREADY_STARTED = "already_started"
ALREADY_ENDED = "already_ended"
NOT_STARTED = "not_started"
INVALID_TIME = "invalid_time"
BAD_SIGNATURE = "bad_signature"
BAD_EVENT = "bad_event"
TOO_LARGE = "too_large"
