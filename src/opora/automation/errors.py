"""Error codes of automation (the answer bot), returned by the API."""

from __future__ import annotations

LEADS_ONLY = "leads_only"
NOT_YOUR_TEAM = "not_your_team"
REQUESTER_ONLY = "requester_only"
UNKNOWN_TEAM = "unknown_team"
INVALID_LANGUAGE = "invalid_language"
INVALID_ARTICLES = "invalid_articles"
INVALID_THRESHOLD = "invalid_threshold"
INVALID_PERIOD = "invalid_period"
# Routing
UNKNOWN_CALENDAR = "unknown_calendar"
INVALID_STRATEGY = "invalid_strategy"
INVALID_LIMIT = "invalid_limit"
# Macros
MACRO_REQUIRED = "required"
MACRO_TOO_LONG = "too_long"
UNKNOWN_PLACEHOLDER = "unknown_placeholder"
INVALID_ACTION = "invalid_action"
INVALID_OWNER = "invalid_owner"
MACRO_NOT_ALLOWED = "macro_not_allowed"
EMPTY_MACRO = "empty_macro"
ADMINS_ONLY = "admins_only"
UNKNOWN_RULE = "unknown_rule"
INVALID_PHRASE = "invalid_phrase"
