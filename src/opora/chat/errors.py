"""Error codes of the live chat, returned by the API and in `error` frames."""

from __future__ import annotations

BAD_TOKEN = "bad_visitor_token"  # noqa: S105 - a code, not a secret
WIDGET_INACTIVE = "widget_inactive"
MESSAGE_TOO_LONG = "message_too_long"
MESSAGE_EMPTY = "message_empty"
RATE_LIMITED = "rate_limited"
EMAIL_REQUIRED = "email_required"
NAME_REQUIRED = "name_required"
BAD_FRAME = "bad_frame"
NO_SESSION = "no_session"
WRONG_STATE = "wrong_state"
NOT_OFFERED = "not_offered"
NOT_IN_TEAM = "not_in_team"
UNKNOWN_AGENT = "unknown_agent"
ADMINS_ONLY = "admins_only"
AGENTS_ONLY = "agents_only"
UNKNOWN_TEAM = "unknown_team"
INVALID_CHOICE = "invalid_choice"
KEY_TAKEN = "key_taken"
TRY_AGAIN = "try_again"
INVALID_IDLE = "invalid_idle"
