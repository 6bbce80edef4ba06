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
RATE_LIMITED = "rate_limited"
NO_TOKEN = "no_token"  # noqa: S105 - an error code, not a token
REQUIRED = "required"
INVALID_CHOICE = "invalid_choice"
AGENTS_ONLY = "agents_only"
LEADS_ONLY = "leads_only"
MERGE_SELF = "merge_self"
NOT_CUSTOMER = "not_customer"
ALREADY_MERGED = "already_merged"
IDENTITY_TAKEN = "identity_taken"
INVALID_IDENTITY = "invalid_identity"
OWN_ADDRESS = "own_address"
SECOND_FACTOR_REQUIRED = "second_factor_required"
BAD_SECOND_FACTOR = "bad_second_factor"
ENROLMENT_REQUIRED = "two_factor_enrolment_required"
NOT_ENROLLING = "not_enrolling"
ALREADY_ENROLLED = "already_enrolled"
NO_SECOND_FACTOR = "no_second_factor"
BAD_SECURITY_KEY = "bad_security_key"
# Single sign-on (accounts/oidc.py)
SSO_NOT_CONFIGURED = "sso_not_configured"
SSO_FAILED = "sso_failed"
SSO_NO_ACCESS = "sso_no_access"
SSO_CUSTOMER = "sso_customer"
SSO_EMAIL_TAKEN = "sso_email_taken"
SSO_INACTIVE = "sso_inactive"
GROUP_TAKEN = "group_taken"
TOKEN_SCOPE = "token_scope"  # noqa: S105 - an error code, not a token
TOKEN_EXPIRED = "token_expired"  # noqa: S105 - an error code, not a token
TOKEN_LIFETIME = "token_lifetime"  # noqa: S105 - an error code, not a token
# The profile (accounts/profile.py)
PASSWORDS_DIFFER = "passwords_differ"
INVALID_TIME_ZONE = "invalid_time_zone"
TOO_LONG = "too_long"
