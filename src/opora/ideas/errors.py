"""Error codes of ideas (the API's `code` field)."""

from __future__ import annotations

INVALID_IDEA = "invalid_idea"
INVALID_STATUS = "invalid_status"
NOT_A_SUGGESTION = "not_a_suggestion"
ALREADY_MERGED = "already_merged"
ALREADY_VOTED = "already_voted"
CUSTOMERS_ONLY = "customers_only"
AGENTS_ONLY = "agents_only"
INVALID_COMMENT = "invalid_comment"
ALREADY_MODERATED = "already_moderated"
RATE_LIMITED = "rate_limited"
