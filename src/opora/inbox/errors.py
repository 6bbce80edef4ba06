"""Error codes of the outbox (deliveries) and of customers' notification settings."""

from __future__ import annotations

AGENTS_ONLY = "agents_only"
NOT_FAILED = "delivery_not_failed"
ADMINS_ONLY = "admins_only"
