"""Reads of complaints and the `access_*` helpers of this app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import Organization, User
from opora.accounts.selectors import require_agent
from opora.complaints import detection, errors
from opora.complaints.models import Complaint, ComplaintSettings, OrganizationCare, RootCause
from opora.core import clock
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.tickets.models import Message, Ticket, TicketStatus, TicketType


def complaint_settings() -> ComplaintSettings:
    """The desk's complaint rules (the row is made with the defaults when missing)."""
    found, _created = ComplaintSettings.objects.get_or_create(
        pk=1, defaults={"reminder_hours": [48, 24]}
    )
    return found


def root_causes(*, active_only: bool = True) -> list[RootCause]:
    rows = RootCause.objects.all()
    if active_only:
        rows = rows.filter(active=True)
    return list(rows)


def root_cause_by_key(key: str, *, field: str = "root_cause") -> RootCause:
    found = RootCause.objects.filter(key=key, active=True).first()
    if found is None:
        raise ValidationFailed(
            errors.UNKNOWN_ROOT_CAUSE,
            _("Unknown root cause “%(value)s”.") % {"value": key[:40]},
            field=field,
        )
    return found


def complaint_of(ticket: Ticket) -> Complaint | None:
    return (
        Complaint.objects.select_related("root_cause", "about_agent")
        .filter(ticket_id=ticket.pk)
        .first()
    )


def is_complaint(ticket: Ticket, question: str = "") -> bool:
    """What the answer bot asks before it answers: a complaint (by type, by its row, or,
    for a request just opened whose row is not written yet, by its text) is left to
    people, whatever the bot's settings say."""
    if ticket.type == TicketType.COMPLAINT:
        return True
    if Complaint.objects.filter(ticket_id=ticket.pk, dismissed_at__isnull=True).exists():
        return True
    if not question:
        return False
    threshold = complaint_settings().detection_threshold
    return detection.detect(question).is_complaint(threshold)


def arriving_complaints(tickets: list[Ticket]) -> set[int]:
    """Of new requests, those the complaint care takes in once they are committed (by
    their type or their first words, as `actions.take_in_new` decides): they get its
    acknowledgement with the deadline, so the channel sends no generic one
    (registered with tickets' `register_own_acknowledgement` in `apps.py`)."""
    open_ = [t for t in tickets if t.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED)]
    chosen = {t.pk for t in open_ if t.type == TicketType.COMPLAINT}
    rest = [t for t in open_ if t.pk not in chosen]
    if not rest:
        return chosen
    texts = first_texts(rest)
    threshold = complaint_settings().detection_threshold
    return chosen | {t.pk for t in rest if detection.detect(texts[t.pk]).is_complaint(threshold)}


def first_text(ticket: Ticket) -> str:
    """The subject and first message: what the detector reads."""
    first = (
        Message.objects.filter(ticket_id=ticket.pk)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
        .first()
    )
    return f"{ticket.subject}\n{first or ''}"


def first_texts(tickets: list[Ticket]) -> dict[int, str]:
    """`first_text` for many tickets in one query."""
    bodies: dict[int, str] = {}
    rows = (
        Message.objects.filter(ticket_id__in=[t.pk for t in tickets], internal=False)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "body")
    )
    for ticket_id, body in rows:
        bodies.setdefault(ticket_id, body)
    return {t.pk: f"{t.subject}\n{bodies.get(t.pk, '')}" for t in tickets}


def restricted_ticket_ids() -> QuerySet[Any]:
    """Tickets only team leads and admins may open: complaints about a person of the
    desk (registered with tickets' visibility in `apps.py`)."""
    return Complaint.objects.filter(restricted=True).values("ticket_id")


def is_restricted(ticket_id: int) -> bool:
    return Complaint.objects.filter(restricted=True, ticket_id=ticket_id).exists()


def may_see_restricted(user: User) -> bool:
    return user.is_active and (user.is_admin or (user.is_agent and user.is_team_lead))


def vip_organization(organization_id: int | None) -> bool:
    """A VIP for complaints: marked so here, or a VIP organization of the desk."""
    if organization_id is None:
        return False
    if OrganizationCare.objects.filter(organization_id=organization_id, vip=True).exists():
        return True
    return Organization.objects.filter(pk=organization_id, vip=True).exists()


def recent_complaints(requester_id: int, *, days: int, at: datetime) -> int:
    """Complaints the person made in the last `days` days, this one included."""
    return Complaint.objects.filter(
        ticket__requester_id=requester_id,
        opened_at__gte=at - timedelta(days=days),
        dismissed_at__isnull=True,
    ).count()


# --- Access ---------------------------------------------------------------------


def access_settings(user: User) -> None:
    """The complaint rules are the desk's set-up: admins change them."""
    require_agent(user)
    if not user.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only admins change the complaint settings."))


def access_report(user: User) -> None:
    """The complaints report is for team leads and admins."""
    require_agent(user)
    if not (user.is_admin or user.is_team_lead):
        raise Forbidden(
            errors.LEADS_ONLY, _("Only team leads and admins see the complaints report.")
        )


def access_complaint(user: User, ticket: Ticket) -> Complaint:
    """The complaint of a ticket the user has opened (`tickets.access_ticket`)."""
    require_agent(user)
    found = complaint_of(ticket)
    if found is None or found.dismissed_at is not None or ticket.type != TicketType.COMPLAINT:
        raise NotFound(_("complaint"))
    if found.restricted and not may_see_restricted(user):
        raise NotFound(_("complaint"))
    return found


# --- What the ticket page and the API show -------------------------------------


@dataclass(frozen=True)
class ComplaintView:
    is_complaint: bool
    confidence: float
    signals: list[tuple[str, str]]
    complaint: Complaint | None
    overdue: bool
    hours_left: float | None


def view_of(ticket: Ticket, text: str | None = None) -> ComplaintView:
    """The complaint panel's figures: for a complaint its row, for any other ticket the
    detector's confidence on its first message."""
    found = complaint_of(ticket)
    if found is not None and found.dismissed_at is None and ticket.type == TicketType.COMPLAINT:
        now = clock.now()
        done = found.resolved_at is not None or ticket.status in (
            TicketStatus.SOLVED,
            TicketStatus.CLOSED,
        )
        left = None if done else (found.due_at - now).total_seconds() / 3600
        return ComplaintView(
            is_complaint=True,
            confidence=found.confidence,
            signals=[(k, w) for k, w in found.signals],
            complaint=found,
            overdue=left is not None and left < 0,
            hours_left=None if left is None else round(left, 1),
        )
    verdict = detection.detect(text if text is not None else first_text(ticket))
    return ComplaintView(
        is_complaint=ticket.type == TicketType.COMPLAINT,
        confidence=verdict.confidence,
        signals=[(s.kind, s.words) for s in verdict.signals],
        complaint=None,
        overdue=False,
        hours_left=None,
    )
