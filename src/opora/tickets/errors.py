"""Error codes the tickets domain returns (stable: API clients match on them)."""

from __future__ import annotations

REQUIRED = "required"
TOO_LONG = "too_long"
TOO_MANY = "too_many"
INVALID_CHOICE = "invalid_choice"
INVALID_TRANSITION = "invalid_transition"
AGENTS_ONLY = "agents_only"
TICKET_CLOSED = "ticket_closed"
UNKNOWN_TEAM = "unknown_team"
UNKNOWN_ASSIGNEE = "unknown_assignee"
UNKNOWN_REQUESTER = "unknown_requester"
NOT_TEAM_MEMBER = "not_team_member"
MERGE_SELF = "merge_self"
NOT_A_PROBLEM = "not_a_problem"
NOT_AN_INCIDENT = "not_an_incident"
HAS_INCIDENTS = "has_incidents"
