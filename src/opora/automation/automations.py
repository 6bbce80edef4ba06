"""Time automations: "a ticket in status S for N (business or calendar) hours → action".

A periodic job (`run_automations_task`, every 5 minutes) checks every active rule.
The period a ticket has been in its status starts at the last history event that
moved it there (its creation for one never moved). An `AutomationRun` unique per
(rule, ticket, period start) makes each rule act on a ticket once per period: a
reminder is sent once while the ticket stays pending, again only after it left
pending and came back. Business hours are the default calendar's (sla app).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from opora.accounts.models import Role, User
from opora.automation import errors
from opora.automation.models import Automation, AutomationAction, AutomationRun
from opora.automation.triggers import render
from opora.core import clock as wall_clock
from opora.core.audit import diff, record_change, snapshot
from opora.core.errors import OporaError, ValidationFailed
from opora.sla.config import read_hours
from opora.tickets import actions as ticket_actions
from opora.tickets.events import recorded_via
from opora.tickets.models import EventKind, Ticket, TicketStatus

logger = logging.getLogger("opora.automation")
AUTOMATION_EMAIL = "automation@opora.invalid"
BATCH = 500  # tickets per rule and run; the next run continues


def automation_user() -> User:
    """The author of time automations' changes (triggers do react to them)."""
    user, _created = User.objects.get_or_create(
        email=AUTOMATION_EMAIL,
        defaults={"name": "Automation", "role": Role.AGENT, "is_active": False},
    )
    return user


def _entered(status: str) -> Max:
    """When a ticket last entered `status`: its last status event to it, or creation."""
    return Max(
        "events__created_at",
        filter=Q(events__kind__in=[EventKind.STATUS, EventKind.CREATED], events__new=status),
    )


def due_tickets(rule: Automation, now: datetime) -> list[tuple[Ticket, datetime]]:
    """Tickets in the rule's status long enough, not yet acted on in this period."""
    wait = timedelta(hours=rule.hours)
    # Business time is never more than calendar time: the calendar bound narrows the
    # candidates in the database whichever the rule counts.
    rows = list(
        Ticket.objects.filter(status=rule.status)
        .annotate(since=_entered(rule.status))
        .filter(since__lte=now - wait)
        .order_by("since", "id")
        .values_list("pk", "since")[: BATCH * 4]
    )
    done = set(
        AutomationRun.objects.filter(
            automation=rule, ticket_id__in=[pk for pk, _since in rows]
        ).values_list("ticket_id", "period_start")
    )
    hours = read_hours(None) if rule.business_hours else None
    wanted: dict[int, datetime] = {}
    for pk, since in rows:
        if (pk, since) in done:
            continue
        waited = hours.between(since, now) if hours else (now - since).total_seconds()
        if waited >= wait.total_seconds():
            wanted[pk] = since
        if len(wanted) >= BATCH:
            break
    tickets = Ticket.objects.filter(pk__in=wanted).order_by("id")
    return [(ticket, wanted[ticket.pk]) for ticket in tickets]


def run_rule(rule: Automation) -> int:
    """Act on every due ticket once; returns how many were acted on."""
    now = wall_clock.now()
    acted = 0
    for ticket, start in due_tickets(rule, now):
        try:
            with transaction.atomic():
                run = AutomationRun.objects.create(
                    automation=rule, ticket=ticket, period_start=start, at=now
                )
                result = _act(rule, ticket)
                run.result = result
                run.save(update_fields=["result"])
        except IntegrityError:
            continue  # another run took it
        acted += 1
    return acted


def _act(rule: Automation, ticket: Ticket) -> str:
    by = automation_user()
    try:
        with (
            transaction.atomic(),
            recorded_via({"automation": rule.pk, "automation_name": rule.name}),
        ):
            if rule.action == AutomationAction.REMIND:
                ticket_actions.add_automated_reply(
                    ticket, by=by, body=render(rule.message, ticket), deliver=True
                )
            elif rule.action == AutomationAction.SOLVE:
                ticket_actions.update_ticket(
                    ticket, ticket_actions.TicketChanges(status=TicketStatus.SOLVED), by=by
                )
            else:
                ticket_actions.update_ticket(
                    ticket, ticket_actions.TicketChanges(status=TicketStatus.CLOSED), by=by
                )
    except OporaError as exc:
        return f"{exc.code}: {exc.message}"[:500]
    return "applied"


def run_automations() -> int:
    """Every active rule in order; returns how many tickets were acted on."""
    total = 0
    for rule in Automation.objects.filter(active=True).order_by("position", "id"):
        total += run_rule(rule)
    return total


AUTOMATION_FIELDS = ("name", "active", "status", "hours", "business_hours", "action", "message")


@transaction.atomic
def save_automation(
    *, by: User, automation: Automation | None = None, **values: object
) -> Automation:
    """Create or change a time automation (admins); audited."""
    name = str(values.get("name", "")).strip()
    status, action = values.get("status"), values.get("action")
    hours = values.get("hours")
    if not name or len(name) > 120:
        raise ValidationFailed(errors.INVALID_AUTOMATION, _("Give the rule a name."), field="name")
    if status not in TicketStatus.values or status == TicketStatus.CLOSED:
        raise ValidationFailed(errors.INVALID_AUTOMATION, _("Choose a status."), field="status")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 24 * 365:
        raise ValidationFailed(
            errors.INVALID_AUTOMATION, _("Hours must be between 1 and 8760."), field="hours"
        )
    if action not in AutomationAction.values:
        raise ValidationFailed(errors.INVALID_AUTOMATION, _("Choose an action."), field="action")
    message = str(values.get("message") or "")
    if action == AutomationAction.REMIND and not message.strip():
        raise ValidationFailed(
            errors.INVALID_AUTOMATION, _("A reminder needs its text."), field="message"
        )
    before = snapshot(automation, AUTOMATION_FIELDS) if automation else None
    if automation is None:
        last = Automation.objects.order_by("-position").values_list("position", flat=True).first()
        automation = Automation(position=(last or 0) + 1)
    automation.name, automation.status, automation.hours = name, str(status), hours
    automation.business_hours = bool(values.get("business_hours", False))
    automation.active = bool(values.get("active", True))
    automation.action, automation.message = str(action), message
    automation.updated_at = wall_clock.now()
    automation.save()
    after = snapshot(automation, AUTOMATION_FIELDS)
    changes = after if before is None else diff(before, after)
    record_change(
        actor=by,
        area="automation",
        action="created" if before is None else "changed",
        target=automation,
        changes=changes,
    )
    return automation


@transaction.atomic
def delete_automation(automation: Automation, *, by: User) -> None:
    record_change(actor=by, area="automation", action="deleted", target=automation)
    automation.delete()


@transaction.atomic
def move_automation(automation: Automation, step: int, *, by: User) -> None:
    """Move one rule up (-1) or down (+1) in the order the job runs them; audited."""
    rows = list(Automation.objects.select_for_update().order_by("position", "id"))
    before = [r.pk for r in rows]
    index = before.index(automation.pk)
    other = index + step
    if not 0 <= other < len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        row.position = position
    Automation.objects.bulk_update(rows, ["position"])
    record_change(
        actor=by,
        area="automation",
        action="reordered",
        target_type="automation",
        label="automations",
        changes={"order": [before, [r.pk for r in rows]]},
    )
