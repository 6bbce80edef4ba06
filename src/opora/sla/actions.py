"""Escalation between support lines and the team lead, rules, and the hand-off to development."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, ValidationFailed
from opora.core.tasks import enqueue_after_commit
from opora.sla import errors, notices
from opora.sla.clock import LEVELS
from opora.sla.levels import set_support_level
from opora.sla.models import DevHandoff, EscalationRule, SlaState, TicketSla
from opora.tickets import actions as ticket_actions
from opora.tickets import events as ev
from opora.tickets.models import ACTIVE_STATUSES, Ticket, TicketType


def _level(value: str | int) -> str:
    level = str(value)
    if level not in LEVELS:
        raise ValidationFailed(
            errors.INVALID_LEVEL, _("The level must be 1, 2, 3 or lead."), field="to"
        )
    return level


def current_level(ticket: Ticket) -> str:
    sla = TicketSla.objects.filter(ticket=ticket).only("level").first()
    return sla.level if sla else str(ticket.line)


def team_lead(ticket: Ticket) -> User | None:
    """The lead of the ticket's team; any active lead when the ticket has no team."""
    leads = User.objects.filter(is_team_lead=True, is_active=True, role__in=["agent", "admin"])
    if ticket.team_id is not None:
        in_team = leads.filter(teams=ticket.team_id).order_by("id").first()
        if in_team is not None:
            return in_team
    return leads.order_by("id").first()


def escalate_ticket(
    ticket: Ticket,
    *,
    to: str | int,
    reason: str,
    by: User | None,
    rule: EscalationRule | None = None,
) -> Ticket:
    """Move a ticket up to line 2, 3 or the team lead; `by` None means a rule did it."""
    if by is not None and not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may escalate tickets."), field="to")
    level = _level(to)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed(
            errors.REASON_REQUIRED, _("Say why the ticket is escalated."), field="reason"
        )
    current = current_level(ticket)
    if LEVELS.index(level) <= LEVELS.index(current):
        raise ValidationFailed(
            errors.NOT_HIGHER,
            _("The ticket is already on level %(level)s.") % {"level": current},
            field="to",
        )
    assignee = None
    if level == "lead":
        assignee = team_lead(ticket)
        if assignee is None:
            raise ValidationFailed(errors.NO_LEAD, _("No team lead to escalate to."), field="to")
    extra: dict[str, object] = {"direction": "up"}
    if rule is not None:
        extra["rule"] = rule.pk
    moved = set_support_level(
        ticket, level=level, by=by, reason=reason, assignee=assignee, extra=extra
    )
    # The assignee and the team lead (other than who moved it) hear of it once the
    # move is committed.
    told = [moved.assignee if moved.assignee_id else None, team_lead(moved)]
    told = [u for u in told if u is not None and (by is None or u.pk != by.pk)]
    transaction.on_commit(
        lambda: notices.send_escalation_notice(moved, level=level, reason=reason, recipients=told)
    )
    return moved


def de_escalate_ticket(ticket: Ticket, *, to: str | int, reason: str, by: User) -> Ticket:
    """Hand a ticket back down (e.g. from the lead to line 2, or to line 1 to close)."""
    if not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may de-escalate tickets."), field="to")
    level = _level(to)
    current = current_level(ticket)
    if LEVELS.index(level) >= LEVELS.index(current):
        raise ValidationFailed(
            errors.NOT_LOWER,
            _("The ticket is already on level %(level)s.") % {"level": current},
            field="to",
        )
    return set_support_level(
        ticket, level=level, by=by, reason=" ".join(reason.split()), extra={"direction": "down"}
    )


def matching_rule(ticket: Ticket, *, at_risk: bool) -> EscalationRule | None:
    """The first active rule that matches and would move the ticket higher."""
    rules = (
        EscalationRule.objects.filter(is_active=True)
        .filter(Q(priority__isnull=True) | Q(priority=ticket.priority))
        .filter(Q(type="") | Q(type=ticket.type))
        .filter(Q(organization__isnull=True) | Q(organization_id=ticket.organization_id))
        .order_by("position", "id")
    )
    if not at_risk:
        rules = rules.filter(on_risk=False)
    current = LEVELS.index(current_level(ticket))
    for rule in rules:
        if rule.to_level in LEVELS and LEVELS.index(rule.to_level) > current:
            return rule
    return None


def apply_escalation_rules(ticket: Ticket) -> Ticket | None:
    """Escalate by the first matching rule; returns the ticket when it moved."""
    if ticket.status not in ACTIVE_STATUSES:
        return None
    state = TicketSla.objects.filter(ticket=ticket).values_list("state", flat=True).first()
    rule = matching_rule(ticket, at_risk=state in (SlaState.AT_RISK, SlaState.BREACHED))
    if rule is None:
        return None
    if rule.to_level == "lead" and team_lead(ticket) is None:
        return None
    return escalate_ticket(ticket, to=rule.to_level, reason=rule.reason, by=None, rule=rule)


@transaction.atomic
def hand_to_development(ticket: Ticket, *, by: User) -> DevHandoff:
    """Turn the ticket into a problem (or take its problem) and post it to development."""
    from opora.sla.tasks import deliver_dev_webhook

    if not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may hand tickets to development."))
    if not settings.DEV_WEBHOOK_URL:
        raise ValidationFailed(
            errors.HANDOFF_DISABLED, _("No development webhook is configured."), field="ticket"
        )
    problem = ticket.problem if ticket.problem_id is not None else ticket
    assert problem is not None
    if problem.type != TicketType.PROBLEM:
        problem = ticket_actions.update_ticket(
            problem, ticket_actions.TicketChanges(type=TicketType.PROBLEM), by=by
        )
    handoff, created = DevHandoff.objects.get_or_create(
        problem=problem, defaults={"created_by": by}
    )
    if not created:
        handoff.delivery = "queued"
        handoff.attempts = 0
        handoff.save(update_fields=["delivery", "attempts"])
    ev.dev_handoff_event(ticket=problem, by=by, url=settings.DEV_WEBHOOK_URL)
    enqueue_after_commit(deliver_dev_webhook, handoff.pk)
    return handoff


SOLVED_STATUSES = frozenset({"fixed", "solved", "done", "released"})


@transaction.atomic
def record_dev_status(problem_number: int, *, status: str, note: str, reference: str) -> DevHandoff:
    """Development reports progress; "fixed" (or solved/done/released) solves the problem."""
    handoff = (
        DevHandoff.objects.select_for_update(of=("self",))
        .select_related("problem", "created_by")
        .filter(problem__number=problem_number)
        .first()
    )
    if handoff is None:
        raise ValidationFailed(
            errors.UNKNOWN_PROBLEM, _("No such problem was handed over."), field="problem"
        )
    status = status.strip().lower()[:32]
    previous = handoff.dev_status
    handoff.dev_status = status
    handoff.dev_reference = reference[:255] or handoff.dev_reference
    handoff.save(update_fields=["dev_status", "dev_reference"])
    problem = handoff.problem
    ev.dev_status_event(
        ticket=problem, previous=previous, status=status, data={"note": note[:2000]}
    )
    agent = handoff.created_by
    if status in SOLVED_STATUSES and problem.status in ACTIVE_STATUSES and agent is not None:
        ticket_actions.update_ticket(
            problem, ticket_actions.TicketChanges(status="solved"), by=agent
        )
    return handoff
