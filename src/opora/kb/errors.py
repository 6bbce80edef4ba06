"""Error codes of the knowledge base, returned by the API."""

from __future__ import annotations

REQUIRED = "required"
TOO_LONG = "too_long"
INVALID_CHOICE = "invalid_choice"
AGENTS_ONLY = "agents_only"
UNKNOWN_CATEGORY = "unknown_category"
TRANSLATION_EXISTS = "translation_exists"
NOT_SOLVED = "not_solved"
NO_ANSWER = "no_answer"
BAD_TRANSITION = "bad_transition"
CATEGORY_NOT_EMPTY = "category_not_empty"
BAD_PARENT = "bad_parent"
SAME_AS_CURRENT = "same_as_current"
