"""Reads of the SLA clock, shared by the API and the agent workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opora.sla.models import SlaState, TicketSla
from opora.tickets.models import Ticket


def ticket_sla(ticket: Ticket) -> TicketSla:
    """The ticket's SLA row in one query; an unsaved "on track" one if it has none yet."""
    sla = TicketSla.objects.select_related("policy").filter(ticket=ticket).first()
    if sla is None:
        sla = TicketSla(ticket=ticket, level=str(ticket.line))
    return sla


@dataclass(frozen=True)
class Target:
    label: str | Promise
    due_at: datetime
    met: bool


def sla_targets(ticket: Ticket, sla: TicketSla) -> list[Target]:
    """The due times an agent watches on the ticket page, in the order they fall due."""
    targets = []
    if ticket.first_response_due_at:
        met = ticket.first_response_at is not None
        targets.append(Target(_("First response"), ticket.first_response_due_at, met))
    if sla.next_response_due_at and ticket.first_response_at is not None:
        targets.append(Target(_("Next response"), sla.next_response_due_at, False))
    if ticket.resolution_due_at:
        met = ticket.status in ("solved", "closed")
        targets.append(Target(_("Resolution"), ticket.resolution_due_at, met))
    return targets


def sla_state(sla: TicketSla) -> str:
    """Paused wins over the stored state: a paused clock cannot breach."""
    return str(SlaState.PAUSED) if sla.paused else str(sla.state)
