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
INVALID_EVENT = "invalid_event"
INVALID_CONDITION = "invalid_condition"
INVALID_ACTION = "invalid_action"
INVALID_WEBHOOK = "invalid_webhook"
INVALID_AUTOMATION = "invalid_automation"
