"""Error codes of the accounts domain."""

from __future__ import annotations

EMAIL_TAKEN = "email_taken"
INVALID_EMAIL = "invalid_email"
NAME_TAKEN = "name_taken"
DOMAIN_TAKEN = "domain_taken"
INVALID_DOMAIN = "invalid_domain"
WEAK_PASSWORD = "weak_password"  # noqa: S105 - an error code, not a password
INVALID_LINE = "invalid_line"
UNKNOWN_USER = "unknown_user"
UNKNOWN_ORGANIZATION = "unknown_organization"
BAD_CREDENTIALS = "bad_credentials"
ADMINS_ONLY = "admins_only"
AGENTS_ONLY = "agents_only"
REQUIRED = "required"
INVALID_CHOICE = "invalid_choice"
