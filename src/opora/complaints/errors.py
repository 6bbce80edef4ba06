"""Error codes of complaints."""

from __future__ import annotations

ROOT_CAUSE_REQUIRED = "root_cause_required"
JUSTIFIED_REQUIRED = "justified_required"
UNKNOWN_ROOT_CAUSE = "unknown_root_cause"
NOT_A_COMPLAINT = "not_a_complaint"
LEADS_ONLY = "leads_only"
ADMINS_ONLY = "admins_only"
OUT_OF_RANGE = "out_of_range"
KEY_TAKEN = "key_taken"
BAD_KEY = "bad_key"
REQUIRED = "required"
UNKNOWN_TEAM = "unknown_team"
UNKNOWN_AGENT = "unknown_agent"
ALREADY_RESOLVED = "already_resolved"
