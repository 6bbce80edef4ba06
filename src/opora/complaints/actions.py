"""Every write of the complaints app, one transaction each.

The ticket's own fields (type, team, assignee, priority, status) change through
`tickets.actions.update_ticket`, so their history, SLA clock and domain events follow
as for any change; this app writes its `Complaint` row beside them. The desk's changes
to the rules are `AdminChange` rows (`core/audit.record_change`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Organization, Role, Team, User
from opora.complaints import detection, errors, notices
from opora.complaints.models import (
    DEFAULT_ROOT_CAUSES,
    Complaint,
    ComplaintSettings,
    OrganizationCare,
    RootCause,
    Source,
)
from opora.complaints.selectors import (
    complaint_settings,
    first_texts,
    may_see_restricted,
    recent_complaints,
    root_cause_by_key,
    vip_organization,
)
from opora.core import audit
from opora.core import clock as wall_clock
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.sla.actions import team_lead
from opora.tickets.actions import (
    TicketChanges,
    add_automated_reply,
    add_followers,
    update_ticket,
)
from opora.tickets.events import recorded_via
from opora.tickets.models import Priority, Ticket, TicketStatus, TicketType

CARE_EMAIL = "complaints@opora.invalid"
REPEAT = "repeat"
VIP = "vip"
# Where a complaint's priority goes when it is escalated: one step up, at most urgent.
_RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}
MAX_DEADLINE_DAYS = 365
MAX_REMINDERS = 5
MAX_REPEAT_THRESHOLD = 100
MAX_REPEAT_DAYS = 3650
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def care_user() -> User:
    """The author of the complaint care's changes: an agent that cannot sign in."""
    user, _created = User.objects.get_or_create(
        email=CARE_EMAIL,
        defaults={"name": "Complaint care", "role": Role.AGENT, "is_active": False},
    )
    return user


# --- Becoming a complaint --------------------------------------------------------


def take_in_new(tickets: list[Ticket]) -> list[Complaint]:
    """New requests that are complaints (by their type or their words) get the care;
    one query reads the first messages of the batch, and only complaints are locked."""
    texts = first_texts(tickets)
    threshold = complaint_settings().detection_threshold
    taken = []
    for ticket in tickets:
        text = texts.get(ticket.pk, ticket.subject)
        if ticket.type == TicketType.COMPLAINT or detection.detect(text).is_complaint(threshold):
            found = take_in(ticket, text=text)
            if found is not None:
                taken.append(found)
    return taken


@transaction.atomic
def take_in(ticket: Ticket, *, text: str, by: User | None = None) -> Complaint | None:
    """Make the ticket a complaint if it is one: its type says so (the customer, the
    portal form or an agent chose it) or the detector finds it in `text`. Idempotent:
    a ticket that already has its row keeps it. None when it is no complaint."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    found = Complaint.objects.filter(ticket_id=ticket.pk).first()
    if found is not None and found.dismissed_at is None:
        return found
    rules = complaint_settings()
    verdict = detection.detect(text)
    if ticket.type == TicketType.COMPLAINT:
        source = (
            Source.AGENT if by is not None and by.is_agent and by.is_active else Source.CUSTOMER
        )
    elif verdict.is_complaint(rules.detection_threshold) and found is None:
        source = Source.DETECTED  # (one an agent dismissed is not taken in again)
    else:
        return None
    if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return None
    now = wall_clock.now()
    if found is not None:  # re-typed to a complaint after it was dismissed
        found.dismissed_at = None
        found.source = source
        found.save(update_fields=["dismissed_at", "source"])
        return found
    complaint = Complaint.objects.create(
        ticket=ticket,
        source=source,
        confidence=verdict.confidence,
        signals=[[s.kind, s.words] for s in verdict.signals][:20],
        opened_at=now,
        due_at=now + timedelta(days=rules.deadline_days),
    )
    _care(ticket, complaint, rules)
    return complaint


def _care(ticket: Ticket, complaint: Complaint, rules: ComplaintSettings) -> None:
    """What a new complaint gets at once: its type, its team or lead, its priority if
    escalated, and the customer's acknowledgement with the deadline."""
    care = care_user()
    changes = TicketChanges()
    if ticket.type != TicketType.COMPLAINT:
        changes.type = TicketType.COMPLAINT
    lead: User | None = None
    follower: User | None = None
    if rules.team_id is not None and ticket.team_id != rules.team_id:
        changes.team = rules.team_id
        changes.unassign = ticket.assignee_id is not None
    elif rules.team_id is None:
        lead = team_lead(ticket)
        if lead is not None and ticket.assignee_id != lead.pk:
            if ticket.team_id is None or lead.teams.filter(pk=ticket.team_id).exists():
                changes.assignee = lead.pk
            else:  # the team has no lead of its own: the desk's lead follows it
                follower = lead
    reasons = _escalations(ticket, rules, complaint)
    if reasons:
        raised = _RAISED[Priority(ticket.priority)]
        if raised != ticket.priority:
            changes.priority = int(raised)
        complaint.escalations = reasons
    with recorded_via({"complaint": True}):
        if changes != TicketChanges():
            ticket = update_ticket(ticket, changes, by=care)
        if follower is not None:
            add_followers(ticket, [follower], by=care)
        add_automated_reply(
            ticket, by=care, body=notices.acknowledgement(ticket, complaint), deliver=True
        )
    complaint.acknowledged_at = wall_clock.now()
    complaint.save(update_fields=["acknowledged_at", "escalations"])
    if reasons:
        notices.escalated(ticket, complaint, _leads(ticket, lead))


def _escalations(ticket: Ticket, rules: ComplaintSettings, complaint: Complaint) -> list[str]:
    reasons = []
    count = recent_complaints(ticket.requester_id, days=rules.repeat_days, at=complaint.opened_at)
    if rules.repeat_threshold and count >= rules.repeat_threshold:
        reasons.append(REPEAT)
    organization_id = ticket.organization_id or getattr(ticket.requester, "organization_id", None)
    if vip_organization(organization_id):
        reasons.append(VIP)
    return reasons


def _leads(ticket: Ticket, lead: User | None) -> list[User]:
    """Who hears of an escalated complaint: the lead of its team (or any lead)."""
    found = lead or team_lead(Ticket.objects.get(pk=ticket.pk))
    return [found] if found is not None else []


def follow_type(ticket: Ticket, *, text: str, by: User | None) -> None:
    """The ticket's type changed: to a complaint, it gets the care; away from one, its
    complaint is dismissed."""
    if ticket.type == TicketType.COMPLAINT:
        take_in(ticket, text=text, by=by)
    else:
        dismiss(ticket)


@transaction.atomic
def dismiss(ticket: Ticket) -> None:
    """The ticket is no complaint after all (an agent re-typed it): the row stays as
    the record of the detector's mistake, out of every figure."""
    Complaint.objects.filter(ticket_id=ticket.pk, dismissed_at__isnull=True).update(
        dismissed_at=wall_clock.now()
    )


# --- Resolving -------------------------------------------------------------------


@dataclass
class Resolution:
    root_cause: str = ""
    justified: bool | None = None
    about_agent: int | None = None  # None: leave as is
    clear_about_agent: bool = False
    solve: bool = True


def require_resolution(ticket: Ticket, by: User) -> None:
    """Refuse a person's solving of a complaint that has no root cause and no verdict
    on whether it was justified (called in the solving transaction, which it rolls
    back as a whole). Customers, and the desk's automation, may still solve it."""
    if ticket.type != TicketType.COMPLAINT or not (by.is_agent and by.is_active):
        return
    found = Complaint.objects.filter(ticket_id=ticket.pk).first()
    if found is None or found.root_cause_id is None:
        raise ValidationFailed(
            errors.ROOT_CAUSE_REQUIRED,
            _("A complaint is solved with its root cause and whether it was justified."),
            field="status",
        )
    if found.justified is None:
        raise ValidationFailed(
            errors.JUSTIFIED_REQUIRED,
            _("Say whether the complaint was justified before solving it."),
            field="status",
        )


@transaction.atomic
def resolve(ticket: Ticket, resolution: Resolution, *, by: User) -> Complaint:
    """Record the complaint's root cause and verdict and (by default) solve the ticket,
    all or nothing."""
    if not by.is_agent:
        raise Forbidden(errors.LEADS_ONLY, _("Only agents resolve complaints."))
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.type != TicketType.COMPLAINT:
        raise ValidationFailed(
            errors.NOT_A_COMPLAINT, _("This ticket is not a complaint."), field="type"
        )
    if not resolution.root_cause:
        raise ValidationFailed(
            errors.ROOT_CAUSE_REQUIRED, _("Choose the root cause."), field="root_cause"
        )
    cause = root_cause_by_key(resolution.root_cause)
    if resolution.justified is None:
        raise ValidationFailed(
            errors.JUSTIFIED_REQUIRED,
            _("Say whether the complaint was justified."),
            field="justified",
        )
    complaint = Complaint.objects.select_for_update().filter(ticket_id=ticket.pk).first()
    if complaint is None:  # a complaint from before this app, or one never taken in
        complaint = Complaint.objects.create(
            ticket=ticket,
            source=Source.AGENT,
            opened_at=ticket.created_at,
            due_at=ticket.created_at + timedelta(days=complaint_settings().deadline_days),
            acknowledged_at=None,
        )
    complaint.dismissed_at = None
    complaint.root_cause = cause
    complaint.justified = resolution.justified
    if resolution.clear_about_agent:
        complaint.about_agent = None
    elif resolution.about_agent is not None:
        complaint.about_agent = _agent(resolution.about_agent)
    complaint.restricted = cause.about_agent or complaint.about_agent_id is not None
    if complaint.restricted and not may_see_restricted(by):
        # The agent would lose sight of what they just wrote: a lead resolves these.
        raise Forbidden(
            errors.LEADS_ONLY, _("A complaint about an agent is resolved by a team lead.")
        )
    complaint.resolved_at = wall_clock.now()
    complaint.resolved_by = by
    complaint.save()
    if resolution.solve and ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        update_ticket(ticket, TicketChanges(status=TicketStatus.SOLVED), by=by)
    return complaint


@transaction.atomic
def set_about_agent(ticket: Ticket, agent_id: int | None, *, by: User) -> Complaint:
    """Name the agent the complaint is about (None: no one): from then on only team
    leads and admins see the ticket."""
    complaint = Complaint.objects.select_for_update().filter(ticket_id=ticket.pk).first()
    if complaint is None or complaint.dismissed_at is not None:
        raise NotFound(_("complaint"))
    complaint.about_agent = _agent(agent_id) if agent_id is not None else None
    cause_about_agent = bool(complaint.root_cause and complaint.root_cause.about_agent)
    complaint.restricted = cause_about_agent or complaint.about_agent_id is not None
    complaint.save(update_fields=["about_agent", "restricted"])
    return complaint


def _agent(agent_id: int) -> User:
    found = User.objects.filter(
        pk=agent_id, role__in=[Role.AGENT, Role.ADMIN], is_active=True
    ).first()
    if found is None:
        raise ValidationFailed(errors.UNKNOWN_AGENT, _("No such agent."), field="about_agent")
    return found


# --- Reminders -------------------------------------------------------------------


def send_reminders() -> int:
    """Remind the assignee (else the lead) of each open complaint as its deadline comes
    near, once per configured hour; returns how many reminders went out."""
    rules = complaint_settings()
    hours = sorted({int(h) for h in rules.reminder_hours}, reverse=True)
    if not hours:
        return 0
    now = wall_clock.now()
    soon = now + timedelta(hours=hours[0])
    due = list(
        Complaint.objects.filter(
            resolved_at__isnull=True,
            dismissed_at__isnull=True,
            due_at__lte=soon,
            ticket__type=TicketType.COMPLAINT,
        )
        .exclude(ticket__status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED])
        .select_related("ticket", "ticket__assignee")
        .order_by("due_at")[:500]
    )
    sent = 0
    for complaint in due:
        left = complaint.due_at - now
        wanted = [
            h for h in hours if left <= timedelta(hours=h) and h not in complaint.reminders_sent
        ]
        if not wanted:
            continue
        with transaction.atomic():
            locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
            if set(wanted) <= set(locked.reminders_sent):
                continue
            locked.reminders_sent = sorted({*locked.reminders_sent, *wanted}, reverse=True)
            locked.save(update_fields=["reminders_sent"])
            ticket = complaint.ticket
            people = [ticket.assignee] if ticket.assignee_id else []
            people = people or [p for p in [team_lead(ticket)] if p is not None]
            notices.reminder(ticket, complaint, people)
            sent += 1
    return sent


# --- The desk's rules (admins) ----------------------------------------------------

SETTINGS_FIELDS = (
    "deadline_days",
    "reminder_hours",
    "team",
    "repeat_threshold",
    "repeat_days",
    "detection_threshold",
)


@dataclass
class SettingsChanges:
    deadline_days: int | None = None
    reminder_hours: list[int] | None = None
    team: int | None = None
    clear_team: bool = False
    repeat_threshold: int | None = None
    repeat_days: int | None = None
    detection_threshold: float | None = None


def _in_range(value: float, low: float, high: float, field: str) -> None:
    if not low <= value <= high:
        raise ValidationFailed(
            errors.OUT_OF_RANGE,
            _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high},
            field=field,
        )


@transaction.atomic
def configure(changes: SettingsChanges, *, by: User) -> ComplaintSettings:
    """Change the complaint rules: all of the changes, or (refused) none."""
    if not by.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only admins change the complaint settings."))
    rules = complaint_settings()
    rules = ComplaintSettings.objects.select_for_update().get(pk=rules.pk)
    before = audit.snapshot(rules, SETTINGS_FIELDS)
    if changes.deadline_days is not None:
        _in_range(changes.deadline_days, 1, MAX_DEADLINE_DAYS, "deadline_days")
        rules.deadline_days = changes.deadline_days
    if changes.reminder_hours is not None:
        hours = sorted({int(h) for h in changes.reminder_hours}, reverse=True)
        if len(hours) > MAX_REMINDERS:
            raise ValidationFailed(
                errors.OUT_OF_RANGE,
                _("At most %(count)s reminders.") % {"count": MAX_REMINDERS},
                field="reminder_hours",
            )
        for hour in hours:
            _in_range(hour, 1, MAX_DEADLINE_DAYS * 24, "reminder_hours")
        rules.reminder_hours = hours
    if changes.clear_team:
        rules.team = None
    elif changes.team is not None:
        team = Team.objects.filter(pk=changes.team).first()
        if team is None:
            raise ValidationFailed(errors.UNKNOWN_TEAM, _("No such team."), field="team")
        rules.team = team
    if changes.repeat_threshold is not None:
        _in_range(changes.repeat_threshold, 0, MAX_REPEAT_THRESHOLD, "repeat_threshold")
        rules.repeat_threshold = changes.repeat_threshold
    if changes.repeat_days is not None:
        _in_range(changes.repeat_days, 1, MAX_REPEAT_DAYS, "repeat_days")
        rules.repeat_days = changes.repeat_days
    if changes.detection_threshold is not None:
        _in_range(changes.detection_threshold, 0.05, 1.0, "detection_threshold")
        rules.detection_threshold = round(changes.detection_threshold, 3)
    rules.updated_at = wall_clock.now()
    rules.save()
    audit.record_change(
        actor=by,
        area="complaints",
        action="changed",
        target=rules,
        label="complaint settings",
        changes=audit.diff(before, audit.snapshot(rules, SETTINGS_FIELDS)),
    )
    return rules


ROOT_CAUSE_FIELDS = ("key", "name_en", "name_ru", "about_agent", "active", "position")


@dataclass
class RootCauseInput:
    name_en: str | None = None
    name_ru: str | None = None
    about_agent: bool | None = None
    active: bool | None = None
    position: int | None = None


def _name(value: str, field: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValidationFailed(errors.REQUIRED, _("Give it a name."), field=field)
    if len(value) > 120:
        raise ValidationFailed(errors.OUT_OF_RANGE, _("At most 120 characters."), field=field)
    return value


def _require_admin(by: User) -> None:
    if not (by.is_active and by.is_admin):
        raise Forbidden(errors.ADMINS_ONLY, _("Only admins change the complaint settings."))


@transaction.atomic
def add_root_cause(key: str, data: RootCauseInput, *, by: User) -> RootCause:
    _require_admin(by)
    key = key.strip().lower()
    if not _KEY.match(key):
        raise ValidationFailed(
            errors.BAD_KEY,
            _("A key is 2-40 lower-case Latin letters, digits or “_”, starting with a letter."),
            field="key",
        )
    if RootCause.objects.filter(key=key).exists():
        raise ValidationFailed(errors.KEY_TAKEN, _("This key is taken."), field="key")
    cause = RootCause.objects.create(
        key=key,
        name_en=_name(data.name_en or "", "name_en"),
        name_ru=_name(data.name_ru or "", "name_ru"),
        about_agent=bool(data.about_agent),
        active=True if data.active is None else data.active,
        position=data.position if data.position is not None else RootCause.objects.count(),
    )
    audit.record_change(
        actor=by,
        area="complaints",
        action="created",
        target=cause,
        changes={k: [None, v] for k, v in audit.snapshot(cause, ROOT_CAUSE_FIELDS).items()},
    )
    return cause


@transaction.atomic
def change_root_cause(key: str, data: RootCauseInput, *, by: User) -> RootCause:
    _require_admin(by)
    cause = RootCause.objects.select_for_update().filter(key=key).first()
    if cause is None:
        raise NotFound(_("root cause"))
    before = audit.snapshot(cause, ROOT_CAUSE_FIELDS)
    if data.name_en is not None:
        cause.name_en = _name(data.name_en, "name_en")
    if data.name_ru is not None:
        cause.name_ru = _name(data.name_ru, "name_ru")
    if data.about_agent is not None:
        cause.about_agent = data.about_agent
    if data.active is not None:
        cause.active = data.active
    if data.position is not None:
        _in_range(data.position, 0, 1000, "position")
        cause.position = data.position
    cause.save()
    changed = audit.diff(before, audit.snapshot(cause, ROOT_CAUSE_FIELDS))
    if "about_agent" in changed:
        _restrict_by_cause(cause)
    audit.record_change(
        actor=by, area="complaints", action="changed", target=cause, changes=changed
    )
    return cause


def restore_default_root_causes() -> None:
    """Put back any of the default root causes that is missing (a fresh test database
    after a flush; the migration seeds them on a real one)."""
    for position, (key, name_en, name_ru, about_agent) in enumerate(DEFAULT_ROOT_CAUSES):
        RootCause.objects.get_or_create(
            key=key,
            defaults={
                "name_en": name_en,
                "name_ru": name_ru,
                "about_agent": about_agent,
                "position": position,
            },
        )


def _restrict_by_cause(cause: RootCause) -> None:
    """Complaints put down to a cause that became (or stopped being) about an agent."""
    complaints = Complaint.objects.filter(root_cause=cause)
    if cause.about_agent:
        complaints.update(restricted=True)
    else:
        complaints.filter(about_agent__isnull=True).update(restricted=False)


@transaction.atomic
def set_vip(organization_id: int, vip: bool, *, by: User) -> OrganizationCare:
    """Mark an organization VIP for complaints (its complaints are escalated at once)."""
    _require_admin(by)
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise NotFound(_("organization"))
    care, _created = OrganizationCare.objects.select_for_update().get_or_create(
        organization=organization
    )
    before = care.vip
    care.vip = vip
    care.updated_at = wall_clock.now()
    care.save()
    audit.record_change(
        actor=by,
        area="complaints",
        action="changed",
        target=care,
        target_type="organization",
        target_id=organization.pk,
        label=organization.name,
        changes={"vip": [before, vip]} if before != vip else {},
    )
    return care


def settings_out(rules: ComplaintSettings) -> dict[str, Any]:
    return {
        "deadline_days": rules.deadline_days,
        "reminder_hours": list(rules.reminder_hours),
        "team": rules.team_id,
        "repeat_threshold": rules.repeat_threshold,
        "repeat_days": rules.repeat_days,
        "detection_threshold": rules.detection_threshold,
    }
