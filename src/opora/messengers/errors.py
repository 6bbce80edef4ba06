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
# WhatsApp
INVALID_PHONE_NUMBER_ID = "invalid_phone_number_id"
INVALID_ACCOUNT_ID = "invalid_business_account_id"
INVALID_ACCESS_TOKEN = "invalid_access_token"  # noqa: S105 - an error code
INVALID_APP_SECRET = "invalid_app_secret"  # noqa: S105 - an error code
INVALID_VERIFY_TOKEN = "invalid_verify_token"  # noqa: S105 - an error code
INVALID_API_VERSION = "invalid_api_version"
INVALID_TEMPLATES = "invalid_templates"
NUMBER_TAKEN = "number_taken"
INVALID_RECIPIENT = "invalid_recipient"
WRONG_SIGNATURE = "wrong_signature"
WINDOW_CLOSED = "whatsapp_window_closed"
NOT_WHATSAPP = "not_whatsapp"
UNKNOWN_TEMPLATE = "unknown_template"
INVALID_TEMPLATE_LANGUAGE = "invalid_template_language"
INVALID_TEMPLATE_PARAMS = "invalid_template_params"
UNREACHABLE = "unreachable"
