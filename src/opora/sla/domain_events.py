"""What the SLA check publishes for the apps above it (see `core/dispatch.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from opora.tickets.models import Ticket


@dataclass(frozen=True)
class SlaWarned:
    """A ticket's SLA target came near ("at_risk") or passed ("breached").

    `event_id` is the ticket history row that records it: one warning, one id, so a
    subscriber can act on it exactly once."""

    ticket: Ticket
    kind: str
    event_id: int
