"""Triggers: "when this happens to a ticket and these conditions hold, do that".

How a trigger runs:
- The ticket actions publish domain events; `handlers.queue_triggers` (after commit)
  turns each one into a job `run_triggers_task(event, ticket_id, event_key, message_id)`.
- The job evaluates the active triggers of that event in order (position, then id).
  Each sees the ticket as the triggers before it left it. One that matches is
  recorded as a `TriggerRun`, unique per (trigger, event key): a trigger runs at most
  once per event, even if the job runs twice.
- Its actions go through `tickets.actions` with `by=` the system "trigger" user, and
  the history events they write carry `{"trigger": id, "trigger_name": name}`.

Loops are impossible by construction. A person's (or a time automation's) change is
depth 0; triggers react to it, and what they change is depth 1. An event whose author
is the trigger user is depth 1 and queues no trigger job at all, so a trigger whose
action would fire itself, or two triggers that would ping-pong, each run once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Role, Team, User
from opora.automation import errors, listeners, webhooks
from opora.automation.models import Trigger, TriggerEvent, TriggerRun, Webhook
from opora.automation.tone import LABELS as tone_labels
from opora.automation.tone import tone
from opora.core import clock as wall_clock
from opora.core.audit import diff, record_change, snapshot
from opora.core.errors import OporaError, ValidationFailed
from opora.sla.config import read_hours
from opora.tickets import actions as ticket_actions
from opora.tickets.events import recorded_via
from opora.tickets.models import Message, Priority, Ticket, TicketStatus, TicketType

TRIGGER_EMAIL = "trigger@opora.invalid"

# field → operators it accepts.
SCALAR_OPERATORS = ("is", "is_not", "in", "not_in")
FIELDS: dict[str, tuple[str, ...]] = {
    "status": SCALAR_OPERATORS,
    "priority": SCALAR_OPERATORS,
    "type": SCALAR_OPERATORS,
    "channel": SCALAR_OPERATORS,
    "team": (*SCALAR_OPERATORS, "is_set", "is_not_set"),
    "line": SCALAR_OPERATORS,
    "assignee": (*SCALAR_OPERATORS, "is_set", "is_not_set"),
    "organization": (*SCALAR_OPERATORS, "is_set", "is_not_set"),
    "tags": ("contains", "not_contains"),
    "vip": ("is",),
    "subject": ("contains", "not_contains"),
    "message": ("contains", "not_contains"),
    "language": SCALAR_OPERATORS,
    "sentiment": ("is", "is_not"),
    "business_hours": ("is",),
}
ACTIONS = (
    "status",
    "priority",
    "type",
    "line",
    "assign_person",
    "assign_team",
    "add_tags",
    "remove_tags",
    "notify",
    "reply",
    "webhook",
)
NOTIFY_ROLES = ("assignee", "team", "admins")


def trigger_user() -> User:
    """The author of every trigger's change: an agent that cannot sign in."""
    user, _created = User.objects.get_or_create(
        email=TRIGGER_EMAIL,
        defaults={"name": "Trigger", "role": Role.AGENT, "is_active": False},
    )
    return user


def is_trigger_user(user: User | None) -> bool:
    return user is not None and user.email == TRIGGER_EMAIL


# --- Checking what an admin wrote -------------------------------------------------


def clean_definition(
    event: str, match: str, conditions: Any, actions_: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The conditions and actions as stored, or ValidationFailed naming the bad row."""
    if event not in TriggerEvent.values:
        raise ValidationFailed(errors.INVALID_EVENT, _("Unknown trigger event."), field="event")
    if match not in ("all", "any"):
        raise ValidationFailed(
            errors.INVALID_CONDITION, _("Match must be “all” or “any”."), field="match"
        )
    if not isinstance(conditions, list) or not isinstance(actions_, list):
        raise ValidationFailed(
            errors.INVALID_CONDITION, _("Conditions and actions must be lists."), field="conditions"
        )
    clean_conditions = [_clean_condition(i, c) for i, c in enumerate(conditions)]
    if not actions_:
        raise ValidationFailed(
            errors.INVALID_ACTION, _("A trigger needs at least one action."), field="actions"
        )
    clean_actions = [_clean_action(i, a) for i, a in enumerate(actions_)]
    return clean_conditions, clean_actions


def _clean_condition(index: int, row: Any) -> dict[str, Any]:
    where = f"conditions.{index}"
    if not isinstance(row, dict):
        raise ValidationFailed(
            errors.INVALID_CONDITION, _("A condition is malformed."), field=where
        )
    field, operator, value = row.get("field"), row.get("operator"), row.get("value")
    if field not in FIELDS:
        raise ValidationFailed(
            errors.INVALID_CONDITION, _("Unknown condition field."), field=f"{where}.field"
        )
    if operator not in FIELDS[field]:
        raise ValidationFailed(
            errors.INVALID_CONDITION,
            _("This operator does not apply to this field."),
            field=f"{where}.operator",
        )
    if operator in ("in", "not_in"):
        if (
            not isinstance(value, list)
            or not value  # "is one of" nothing would never hold (or always, negated)
            or not all(isinstance(v, str | int) for v in value)
        ):
            raise ValidationFailed(
                errors.INVALID_CONDITION, _("This operator needs a list."), field=f"{where}.value"
            )
    elif operator in ("is_set", "is_not_set"):
        value = None
    elif field == "sentiment":
        if value not in tone_labels:
            raise ValidationFailed(
                errors.INVALID_CONDITION,
                _("Choose negative, neutral or positive."),
                field=f"{where}.value",
            )
    elif field in ("vip", "business_hours"):
        if not isinstance(value, bool):
            raise ValidationFailed(
                errors.INVALID_CONDITION, _("Choose yes or no."), field=f"{where}.value"
            )
    elif not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise ValidationFailed(
            errors.INVALID_CONDITION, _("The condition needs a value."), field=f"{where}.value"
        )
    return {"field": field, "operator": operator, "value": value}


def _clean_action(index: int, row: Any) -> dict[str, Any]:
    where = f"actions.{index}"
    if not isinstance(row, dict) or row.get("type") not in ACTIONS:
        raise ValidationFailed(errors.INVALID_ACTION, _("Unknown action."), field=f"{where}.type")
    kind, value = row["type"], row.get("value")
    bad = ValidationFailed(
        errors.INVALID_ACTION, _("The action's value is not valid."), field=f"{where}.value"
    )
    if kind == "status" and value not in TicketStatus.values:
        raise bad
    if kind == "priority" and str(value).upper() not in Priority.names:
        raise bad
    if kind == "type" and value not in TicketType.values:
        raise bad
    if kind == "line" and value not in (1, 2, 3):
        raise bad
    if kind == "assign_person" and not (
        isinstance(value, int)
        and User.objects.filter(
            pk=value, is_active=True, role__in=[Role.AGENT, Role.ADMIN]
        ).exists()
    ):
        raise bad
    if kind == "assign_team" and not (
        isinstance(value, int) and Team.objects.filter(pk=value).exists()
    ):
        raise bad
    if kind in ("add_tags", "remove_tags") and not (
        isinstance(value, list) and value and all(isinstance(t, str) and t for t in value)
    ):
        raise bad
    if kind == "notify":
        if not isinstance(value, dict) or not str(value.get("body", "")).strip():
            raise bad
        to = value.get("to")
        if to not in NOTIFY_ROLES and not (
            isinstance(to, int) and User.objects.filter(pk=to, is_active=True).exists()
        ):
            raise bad
        value = {"to": to, "subject": str(value.get("subject", ""))[:200], "body": value["body"]}
    if kind == "reply" and not (isinstance(value, str) and value.strip()):
        raise bad
    if kind == "webhook" and not (
        isinstance(value, int) and Webhook.objects.filter(pk=value).exists()
    ):
        raise bad
    return {"type": kind, "value": value}


# --- Evaluating ---------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """What happened: the event, the ticket it happened to, and its message (if any)."""

    event: str
    ticket: Ticket
    message: Message | None


def _value_of(field: str, ticket: Ticket, occurrence: Occurrence) -> Any:
    if field == "priority":
        return Priority(ticket.priority).code
    if field == "team":
        return ticket.team_id
    if field == "assignee":
        return ticket.assignee_id
    if field == "organization":
        return ticket.organization_id
    if field == "tags":
        return set(ticket.tags.values_list("name", flat=True))
    if field == "vip":
        return bool(ticket.organization_id and ticket.organization and ticket.organization.vip)
    if field == "subject":
        return ticket.subject.casefold()
    if field in ("message", "sentiment"):
        message = occurrence.message or ticket.messages.order_by("created_at", "id").first()
        body = message.body if message else ""
        return tone(body).label if field == "sentiment" else body.casefold()
    if field == "business_hours":
        return _within_business_hours()
    return getattr(ticket, field)


def _within_business_hours() -> bool:
    now = wall_clock.now()
    spans = read_hours(None).spans(now.date())
    return any(start <= now < end for start, end in spans)


def _same(a: Any, b: Any) -> bool:
    return str(a).casefold() == str(b).casefold()


def condition_holds(condition: dict[str, Any], ticket: Ticket, occurrence: Occurrence) -> bool:
    field, operator, expected = condition["field"], condition["operator"], condition["value"]
    actual = _value_of(field, ticket, occurrence)
    if operator == "is_set":
        return actual is not None
    if operator == "is_not_set":
        return actual is None
    if operator in ("contains", "not_contains"):
        if field == "tags":
            found = str(expected).casefold() in {t.casefold() for t in actual}
        else:
            found = str(expected).casefold() in actual
        return found if operator == "contains" else not found
    if operator in ("in", "not_in"):
        found = any(_same(actual, e) for e in expected)
        return found if operator == "in" else not found
    if field in ("vip", "business_hours"):
        return bool(actual) == bool(expected)
    return _same(actual, expected) if operator == "is" else not _same(actual, expected)


def matches(trigger: Trigger, ticket: Ticket, occurrence: Occurrence) -> bool:
    results = (condition_holds(c, ticket, occurrence) for c in trigger.conditions)
    return all(results) if trigger.match == "all" else any(results) or not trigger.conditions


# --- Running ------------------------------------------------------------------------


def run_triggers(
    event: str, ticket_id: int, event_key: str, message_id: int | None = None
) -> list[str]:
    """Run the active triggers of `event` on the ticket, in order; returns who fired."""
    fired: list[str] = []
    rules = list(Trigger.objects.filter(active=True, event=event).order_by("position", "id"))
    message = Message.objects.filter(pk=message_id).first() if rules and message_id else None
    ticket: Ticket | None = None
    for trigger in rules:
        if ticket is None:  # read again after a trigger changed it: the next one sees that
            ticket = Ticket.objects.select_related("organization").filter(pk=ticket_id).first()
            if ticket is None:
                break
        occurrence = Occurrence(event, ticket, message)
        if not matches(trigger, ticket, occurrence):
            continue
        if _fire(trigger, ticket, occurrence, event_key):
            fired.append(trigger.name)
            ticket = None
    return fired


def _fire(trigger: Trigger, ticket: Ticket, occurrence: Occurrence, event_key: str) -> bool:
    """Apply the trigger's actions once for this event; False if it already ran."""
    try:
        with transaction.atomic():
            run = TriggerRun.objects.create(
                trigger=trigger,
                ticket=ticket,
                event=occurrence.event,
                event_key=event_key[:80],
                at=wall_clock.now(),
                result="applied",
            )
    except IntegrityError:
        return False
    try:
        with (
            transaction.atomic(),
            recorded_via({"trigger": trigger.pk, "trigger_name": trigger.name}),
        ):
            apply_actions(trigger.actions, ticket, by=trigger_user())
    except OporaError as exc:
        run.result = f"{exc.code}: {exc.message}"[:500]
        run.save(update_fields=["result"])
    return True


def apply_actions(rows: Iterable[dict[str, Any]], ticket: Ticket, *, by: User) -> None:
    """The actions in order: field changes in one `update_ticket`, then the others."""
    changes = ticket_actions.TicketChanges()
    others: list[dict[str, Any]] = []
    for row in rows:
        kind, value = row["type"], row["value"]
        setter = _FIELD_SETTERS.get(kind)
        if setter is not None:
            setter(changes, value)
        else:
            others.append(row)
    if changes != ticket_actions.TicketChanges():
        ticket = ticket_actions.update_ticket(ticket, changes, by=by)
    for row in others:
        _OTHER_ACTIONS[row["type"]](ticket, row["value"], by)


def _set(name: str) -> Callable[[ticket_actions.TicketChanges, Any], None]:
    def setter(changes: ticket_actions.TicketChanges, value: Any) -> None:
        setattr(changes, name, value)

    return setter


def _extend(name: str) -> Callable[[ticket_actions.TicketChanges, Any], None]:
    def setter(changes: ticket_actions.TicketChanges, value: Any) -> None:
        getattr(changes, name).extend(value)

    return setter


_FIELD_SETTERS = {
    "status": _set("status"),
    "priority": _set("priority"),
    "type": _set("type"),
    "line": _set("line"),
    "assign_person": _set("assignee"),
    "assign_team": _set("team"),
    "add_tags": _extend("add_tags"),
    "remove_tags": _extend("remove_tags"),
}


PLACEHOLDER = re.compile(r"\{\{\s*ticket\.(\w+)\s*\}\}")


def render(template: str, ticket: Ticket) -> str:
    """Fill {{ ticket.number }}, {{ ticket.subject }}, {{ ticket.status }},
    {{ ticket.requester }} and {{ ticket.url }}; anything else stays as written."""
    from django.conf import settings

    values = {
        "number": str(ticket.number),
        "subject": ticket.subject,
        "status": ticket.status,
        "requester": ticket.requester.display_name,
        "url": f"{settings.BASE_URL}/agent/tickets/{ticket.number}",
    }
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _notify(ticket: Ticket, value: dict[str, Any], by: User) -> None:
    to = value["to"]
    people: Iterable[User]
    if to == "assignee":
        people = [ticket.assignee] if ticket.assignee else []
    elif to == "team":
        people = ticket.team.members.filter(is_active=True) if ticket.team else []
    elif to == "admins":
        people = User.objects.filter(role=Role.ADMIN, is_active=True)
    else:
        people = User.objects.filter(pk=to, is_active=True)
    addresses = sorted({p.email for p in people if p.reachable_by_email})
    if addresses:
        subject = render(value["subject"], ticket) or f"[#{ticket.number}] {ticket.subject}"
        send_mail(subject, render(value["body"], ticket), None, addresses)


def _reply(ticket: Ticket, value: str, by: User) -> None:
    ticket_actions.add_automated_reply(ticket, by=by, body=render(value, ticket), deliver=True)


def _webhook(ticket: Ticket, value: int, by: User) -> None:
    webhooks.queue_for_webhook(value, "trigger", ticket)


_OTHER_ACTIONS: dict[str, Callable[[Ticket, Any, User], None]] = {
    "notify": _notify,
    "reply": _reply,
    "webhook": _webhook,
}


def event_of_message(public: bool, from_requester: bool, by: User) -> str | None:
    """Which trigger event a new message is, if any."""
    if not public:
        return None
    if from_requester:
        return TriggerEvent.CUSTOMER_REPLIED
    return TriggerEvent.AGENT_REPLIED if by.is_agent else None


# --- Admins' changes (console and API), each audited in its own transaction --------

TRIGGER_FIELDS = ("name", "active", "position", "event", "match", "conditions", "actions")


@transaction.atomic
def save_trigger(
    *,
    by: User,
    trigger: Trigger | None = None,
    name: str,
    event: str,
    conditions: Any,
    actions: Any,
    match: str = "all",
    active: bool = True,
) -> Trigger:
    """Create a trigger (last in order) or change one; audited."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed(errors.INVALID_EVENT, _("Give the trigger a name."), field="name")
    clean_conditions, clean_actions = clean_definition(event, match, conditions, actions)
    before = snapshot(trigger, TRIGGER_FIELDS) if trigger else None
    if trigger is None:
        last = Trigger.objects.order_by("-position").values_list("position", flat=True).first()
        trigger = Trigger(position=(last or 0) + 1)
    trigger.name, trigger.event, trigger.match, trigger.active = name, event, match, active
    trigger.conditions, trigger.actions = clean_conditions, clean_actions
    trigger.updated_at = wall_clock.now()
    trigger.save()
    listeners.triggers_changed()
    after = snapshot(trigger, TRIGGER_FIELDS)
    if before is None:
        record_change(actor=by, area="automation", action="created", target=trigger, changes=after)
    else:
        record_change(
            actor=by,
            area="automation",
            action="changed",
            target=trigger,
            changes=diff(before, after),
        )
    return trigger


@transaction.atomic
def set_trigger_active(trigger: Trigger, active: bool, *, by: User) -> Trigger:
    if trigger.active != active:
        record_change(
            actor=by,
            area="automation",
            action="changed",
            target=trigger,
            changes={"active": [trigger.active, active]},
        )
        trigger.active = active
        trigger.save(update_fields=["active"])
        listeners.triggers_changed()
    return trigger


@transaction.atomic
def delete_trigger(trigger: Trigger, *, by: User) -> None:
    record_change(actor=by, area="automation", action="deleted", target=trigger)
    trigger.delete()
    listeners.triggers_changed()


@transaction.atomic
def reorder_triggers(ids: list[int], *, by: User) -> list[Trigger]:
    """Put the triggers in the order of `ids` (every trigger, each once)."""
    found = {t.pk: t for t in Trigger.objects.select_for_update()}
    if sorted(ids) != sorted(found):
        raise ValidationFailed(
            errors.INVALID_EVENT, _("List every trigger once to reorder them."), field="ids"
        )
    before = [t.pk for t in sorted(found.values(), key=lambda t: (t.position, t.pk))]
    for position, pk in enumerate(ids, start=1):
        found[pk].position = position
    Trigger.objects.bulk_update(found.values(), ["position"])
    record_change(
        actor=by,
        area="automation",
        action="reordered",
        target_type="trigger",
        label="triggers",
        changes={"order": [before, ids]},
    )
    return [found[pk] for pk in ids]


def move_trigger(trigger: Trigger, step: int, *, by: User) -> None:
    """Move one trigger up (-1) or down (+1) in the order."""
    ids = list(Trigger.objects.order_by("position", "id").values_list("pk", flat=True))
    index = ids.index(trigger.pk)
    other = index + step
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        reorder_triggers(ids, by=by)
