"""Error codes of the reports (stable: API clients match on them)."""

from __future__ import annotations

AGENTS_ONLY = "agents_only"
INVALID_PERIOD = "invalid_period"
PERIOD_TOO_LONG = "period_too_long"
INVALID_CHOICE = "invalid_choice"
INVALID_FILTER = "invalid_filter"
DIGEST_FOR_LEADS = "digest_for_leads"
