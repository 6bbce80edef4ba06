"""Error codes of satisfaction ratings."""

from __future__ import annotations

NOT_SOLVED = "not_solved"
NOT_REQUESTER = "not_requester"
RATING_LOCKED = "rating_locked"
INVALID_SCORE = "invalid_score"
BAD_TOKEN = "bad_token"  # noqa: S105 - an error code
