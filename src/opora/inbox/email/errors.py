"""Error codes of the e-mail channel's administration (the mailboxes API)."""

from __future__ import annotations

ADMINS_ONLY = "admins_only"
REQUIRED = "required"
INVALID = "invalid"
UNKNOWN_FIELD = "unknown_field"
ADDRESS_TAKEN = "address_taken"
UNKNOWN_TEAM = "unknown_team"
INVALID_LANGUAGE = "invalid_language"
INVALID_HOST = "invalid_host"
INVALID_PORT = "invalid_port"
INVALID_FOLDER = "invalid_folder"
INVALID_PASSWORD_ENV = "invalid_password_env"  # noqa: S105 - an error code
PASSWORD_ENV_REQUIRED = "password_env_required"  # noqa: S105 - an error code
PASSWORD_NOT_STORED = "password_not_stored"  # noqa: S105 - an error code
INVALID_SELECTOR = "invalid_selector"
