"""Error codes of the messenger channels' administration (console and API)."""

from __future__ import annotations

ADMINS_ONLY = "admins_only"
UNKNOWN_FIELD = "unknown_field"
INVALID = "invalid"
INVALID_NAME = "invalid_name"
INVALID_TOKEN = "invalid_token"  # noqa: S105 - an error code
TOKEN_REQUIRED = "token_required"  # noqa: S105 - an error code
INVALID_API_BASE = "invalid_api_base"
INVALID_MODE = "invalid_mode"
INVALID_LANGUAGE = "invalid_language"
UNKNOWN_TEAM = "unknown_team"
INVALID_CHAT = "invalid_chat"
INVALID_TEXT = "invalid_text"
BAD_UPDATE = "bad_update"
WRONG_SECRET = "wrong_secret"  # noqa: S105 - an error code
TOO_LARGE = "too_large"
# VK communities
INVALID_GROUP = "invalid_group"
GROUP_TAKEN = "group_taken"
INVALID_SECRET = "invalid_secret"  # noqa: S105 - an error code
INVALID_CONFIRMATION = "invalid_confirmation"
INVALID_VERSION = "invalid_version"
INVALID_PEER = "invalid_peer"
WRONG_GROUP = "wrong_group"
NOT_CONFIRMABLE = "not_confirmable"
