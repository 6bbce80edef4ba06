"""The administrator's writes of the service settings: business-hours calendars, SLA
policies, escalation rules and the support lines' names.

The console's "Service" section and `/api/v1/sla/...` call these same functions. Each is
one transaction with its audit record (`core.audit`, area "service"); a refusal raises
before anything is written. A change that can move due dates (a policy, or a calendar
a policy or the default uses) queues one job after commit that re-clocks the open
tickets (`tasks.reclock_open_tickets`), as the clock of each ticket is otherwise only
recomputed when the ticket itself changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, time
from itertools import pairwise
from typing import Any
from zoneinfo import available_timezones

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from opora.accounts.models import Organization, User
from opora.core import audit
from opora.core.errors import Forbidden, ValidationFailed
from opora.core.tasks import enqueue_after_commit
from opora.sla import errors
from opora.sla.calendar import RU_CALENDAR_FILE, load_production_calendar
from opora.sla.lines import LEVELS
from opora.sla.models import (
    BusinessCalendar,
    CalendarDay,
    DayKind,
    EscalationRule,
    SlaPolicy,
    SupportLineName,
)
from opora.tickets.models import Priority, TicketType

AREA = "service"
WEEKDAYS = tuple(str(day) for day in range(1, 8))  # ISO: "1" is Monday
MAX_SPANS_PER_DAY = 6
MAX_DAYS = 2000
MAX_TARGET_MINUTES = 365 * 24 * 60
POLICY_FIELDS = (
    "name",
    "position",
    "priority",
    "organization",
    "type",
    "calendar",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "pause_on_hold",
    "is_active",
)
RULE_FIELDS = (
    "name",
    "position",
    "on_risk",
    "priority",
    "type",
    "organization",
    "to_level",
    "reason",
    "is_active",
)
CALENDAR_FIELDS = ("name", "time_zone", "week", "always_open", "is_default")


class Invalid(ValidationFailed):
    """Several problems at once (a calendar's grid): the first is the error's own; the
    console shows each beside its field."""

    def __init__(self, problems: list[ValidationFailed]) -> None:
        first = problems[0]
        super().__init__(first.code, first.message, field=first.field)
        self.problems = problems


def require_service_admin(user: User) -> None:
    """Only administrators change the service settings (team leads read them)."""
    if not (user.is_active and user.is_admin):
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators change the service settings."))


# Calendars


@dataclass
class DayInput:
    date: str
    kind: str
    name: str = ""


@dataclass
class CalendarInput:
    name: str
    time_zone: str = "Europe/Moscow"
    # ISO weekday "1".."7" -> [["09:00", "13:00"], ["14:00", "18:00"]]; missing: closed.
    week: dict[str, list[list[str]]] = field(default_factory=dict)
    always_open: bool = False
    is_default: bool = False
    # None: keep the calendar's dated days as they are.
    days: list[DayInput] | None = None


def _time(text: str) -> time | None:
    text = (text or "").strip()
    if text in ("24:00", "24:00:00"):
        return time.max
    try:
        return time.fromisoformat(text) if len(text) in (5, 8) else None
    except ValueError:
        return None


def _short(value: time) -> str:
    return "24:00" if value == time.max else value.strftime("%H:%M")


def clean_week(week: dict[str, list[list[str]]]) -> tuple[dict[str, list[list[str]]], list[Any]]:
    """The week grid with times written as HH:MM, each day's spans in order, and the
    problems found: a bad time, an end not after its start, spans that overlap."""
    problems: list[ValidationFailed] = []
    cleaned: dict[str, list[list[str]]] = {}
    for day, spans in (week or {}).items():
        if str(day) not in WEEKDAYS:
            problems.append(_bad(errors.INVALID_CHOICE, _("Days are 1 (Monday) to 7."), "week"))
            continue
        name = f"week.{day}"
        if not isinstance(spans, list) or len(spans) > MAX_SPANS_PER_DAY:
            problems.append(_bad(errors.BAD_TIME, _("At most six working intervals a day."), name))
            continue
        parsed: list[tuple[time, time]] = []
        for span in spans:
            if not isinstance(span, list | tuple) or len(span) != 2:
                problems.append(
                    _bad(errors.BAD_TIME, _("An interval has a start and an end."), name)
                )
                continue
            start, end = _time(str(span[0])), _time(str(span[1]))
            if start is None or end is None or start == time.max:
                problems.append(
                    _bad(errors.BAD_TIME, _("Write times as HH:MM, e.g. 09:00 or 18:30."), name)
                )
            elif end <= start:
                problems.append(
                    _bad(
                        errors.END_BEFORE_START,
                        _("%(start)s-%(end)s: the end must come after the start.")
                        % {"start": _short(start), "end": _short(end)},
                        name,
                    )
                )
            else:
                parsed.append((start, end))
        parsed.sort()
        for (a_start, a_end), (b_start, b_end) in pairwise(parsed):
            if b_start < a_end:
                problems.append(
                    _bad(
                        errors.OVERLAPPING_INTERVALS,
                        _("%(first)s and %(second)s overlap.")
                        % {
                            "first": f"{_short(a_start)}-{_short(a_end)}",
                            "second": f"{_short(b_start)}-{_short(b_end)}",
                        },
                        name,
                    )
                )
        if parsed:
            cleaned[str(day)] = [[_short(a), _short(b)] for a, b in parsed]
    return dict(sorted(cleaned.items())), problems


def clean_days(days: list[DayInput]) -> tuple[dict[date, tuple[str, str]], list[Any]]:
    """Dated exceptions by date, and the problems: a bad date or kind, a date twice."""
    problems: list[ValidationFailed] = []
    cleaned: dict[date, tuple[str, str]] = {}
    if len(days) > MAX_DAYS:
        problems.append(_bad(errors.TOO_LONG, _("Too many dated days."), "days"))
        return cleaned, problems
    for index, day in enumerate(days):
        name = f"days.{index}"
        try:
            when = date.fromisoformat(day.date.strip())
        except ValueError:
            problems.append(_bad(errors.BAD_DATE, _("Write the date as YYYY-MM-DD."), name))
            continue
        if day.kind not in DayKind.values:
            problems.append(
                _bad(errors.INVALID_CHOICE, _("Choose holiday, working or short day."), name)
            )
            continue
        if when in cleaned:
            problems.append(
                _bad(
                    errors.DUPLICATE_DATE,
                    _("%(date)s is listed twice.") % {"date": when.isoformat()},
                    name,
                )
            )
            continue
        if len(day.name) > 120:
            problems.append(_bad(errors.TOO_LONG, _("The note is too long."), name))
            continue
        cleaned[when] = (day.kind, day.name.strip())
    return cleaned, problems


def calendar_problems(
    data: CalendarInput, *, calendar: BusinessCalendar | None = None
) -> tuple[dict[str, list[list[str]]], dict[date, tuple[str, str]] | None, list[Any]]:
    """Everything wrong with a calendar's input, each problem with its field."""
    problems: list[ValidationFailed] = []
    name = " ".join(data.name.split())
    if not name:
        problems.append(_bad(errors.REQUIRED, _("Give the calendar a name."), "name"))
    elif len(name) > 120:
        problems.append(_bad(errors.TOO_LONG, _("The name is too long."), "name"))
    else:
        taken = BusinessCalendar.objects.filter(name=name)
        if calendar is not None:
            taken = taken.exclude(pk=calendar.pk)
        if taken.exists():
            problems.append(_bad(errors.NAME_TAKEN, _("Another calendar has this name."), "name"))
    if data.time_zone not in time_zones():
        problems.append(
            _bad(errors.UNKNOWN_TIME_ZONE, _("Choose a time zone from the list."), "time_zone")
        )
    week, found = clean_week(data.week)
    problems += found
    days = None
    if data.days is not None:
        days, found = clean_days(data.days)
        problems += found
    if not problems and not data.always_open and not week:
        problems.append(
            _bad(
                errors.NO_WORKING_TIME,
                _("Give at least one day working hours, or make the calendar 24/7."),
                "week",
            )
        )
    return week, days, problems


def time_zones() -> list[str]:
    """The zones a calendar may use (IANA names), sorted."""
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def _calendar_state(calendar: BusinessCalendar) -> dict[str, Any]:
    state = audit.snapshot(calendar, CALENDAR_FIELDS)
    state["days"] = [
        [d.isoformat(), kind, name]
        for d, kind, name in CalendarDay.objects.filter(calendar=calendar).values_list(
            "date", "kind", "name"
        )
    ]
    return state


@transaction.atomic
def save_calendar(
    data: CalendarInput, *, by: User, calendar: BusinessCalendar | None = None
) -> BusinessCalendar:
    """Create (`calendar` None) or change a calendar, its week and its dated days."""
    require_service_admin(by)
    week, days, problems = calendar_problems(data, calendar=calendar)
    if problems:
        raise Invalid(problems)
    created = calendar is None
    if calendar is None:
        calendar = BusinessCalendar()
        before: dict[str, Any] = {}
    else:
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        before = _calendar_state(calendar)
    calendar.name = " ".join(data.name.split())
    calendar.time_zone = data.time_zone
    calendar.week = week
    calendar.always_open = data.always_open
    calendar.is_default = data.is_default
    calendar.save()
    if data.is_default:
        BusinessCalendar.objects.exclude(pk=calendar.pk).filter(is_default=True).update(
            is_default=False
        )
    if days is not None:
        CalendarDay.objects.filter(calendar=calendar).delete()
        CalendarDay.objects.bulk_create(
            [
                CalendarDay(calendar=calendar, date=when, kind=kind, name=note)
                for when, (kind, note) in sorted(days.items())
            ]
        )
    after = _calendar_state(calendar)
    audit.record_change(
        actor=by,
        area=AREA,
        action="created" if created else "changed",
        target=calendar,
        changes=audit.diff(before, after),
    )
    if not created and _calendar_in_force(calendar):
        _reclock()
    return calendar


def production_calendar_years(path: Any = RU_CALENDAR_FILE) -> list[int]:
    """The years the bundled Russian production calendar covers."""
    data = json.loads(path.read_text(encoding="utf-8"))
    dates = [*data.get("holidays", []), *data.get("working_days", []), *data.get("short_days", [])]
    return sorted({int(text[:4]) for text in dates})


@transaction.atomic
def load_ru_production_calendar(calendar: BusinessCalendar, *, by: User) -> int:
    """Fill a calendar's holidays, transferred working days and short days from the
    bundled Russian production calendar; returns how many dates it set."""
    require_service_admin(by)
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    before = _calendar_state(calendar)
    loaded = load_production_calendar(calendar)
    audit.record_change(
        actor=by,
        area=AREA,
        action="loaded_production_calendar",
        target=calendar,
        changes=audit.diff(before, _calendar_state(calendar)),
    )
    if _calendar_in_force(calendar):
        _reclock()
    return loaded


@transaction.atomic
def delete_calendar(calendar: BusinessCalendar, *, by: User) -> None:
    """Delete a calendar no policy uses (a policy keeps its calendar: refused)."""
    require_service_admin(by)
    users = list(SlaPolicy.objects.filter(calendar=calendar).values_list("name", flat=True))
    if users:
        raise ValidationFailed(
            errors.CALENDAR_IN_USE,
            _("Policies use this calendar: %(names)s. Give them another calendar first.")
            % {"names": ", ".join(users)},
            field="calendar",
        )
    before = _calendar_state(calendar)
    was_default = calendar.is_default
    audit.record_change(
        actor=by, area=AREA, action="deleted", target=calendar, changes=audit.diff(before, {})
    )
    calendar.delete()
    if was_default:
        _reclock()


def _calendar_in_force(calendar: BusinessCalendar) -> bool:
    """Does any ticket's clock run on this calendar (a policy's, or the default)?"""
    return calendar.is_default or SlaPolicy.objects.filter(calendar=calendar).exists()


# SLA policies


@dataclass
class PolicyInput:
    name: str
    calendar: int
    priority: int | None = None
    type: str = ""
    organization: int | None = None
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    pause_on_hold: bool = False
    is_active: bool = True


def _name(text: str, *, what: str) -> str:
    name = " ".join((text or "").split())
    if not name:
        raise _bad(errors.REQUIRED, what, "name")
    if len(name) > 120:
        raise _bad(errors.TOO_LONG, _("The name is too long."), "name")
    return name


def _criteria(priority: int | None, type: str, organization: int | None) -> Organization | None:
    if priority is not None and priority not in Priority.values:
        raise _bad(errors.INVALID_CHOICE, _("Choose a priority from the list."), "priority")
    if type and type not in TicketType.values:
        raise _bad(errors.INVALID_CHOICE, _("Choose a ticket type from the list."), "type")
    if organization is None:
        return None
    found = Organization.objects.filter(pk=organization).first()
    if found is None:
        raise _bad(errors.UNKNOWN_ORGANIZATION, _("No such organization."), "organization")
    return found


def _target(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if value <= 0 or value > MAX_TARGET_MINUTES:
        raise _bad(
            errors.BAD_TARGET, _("A target is more than 0 minutes and at most a year."), name
        )
    return value


def _apply_policy(policy: SlaPolicy, data: PolicyInput) -> None:
    policy.name = _name(data.name, what=_("Give the policy a name."))
    policy.organization = _criteria(data.priority, data.type, data.organization)
    policy.priority = data.priority
    policy.type = data.type
    calendar = BusinessCalendar.objects.filter(pk=data.calendar).first()
    if calendar is None:
        raise _bad(errors.UNKNOWN_CALENDAR, _("Choose a calendar from the list."), "calendar")
    policy.calendar = calendar
    policy.first_response_minutes = _target(data.first_response_minutes, "first_response_minutes")
    policy.next_response_minutes = _target(data.next_response_minutes, "next_response_minutes")
    policy.resolution_minutes = _target(data.resolution_minutes, "resolution_minutes")
    policy.pause_on_hold = data.pause_on_hold
    policy.is_active = data.is_active


def _next_position(model: type[SlaPolicy] | type[EscalationRule]) -> int:
    top = model.objects.aggregate(top=Max("position"))["top"]
    return 10 if top is None else top + 10


@transaction.atomic
def create_policy(data: PolicyInput, *, by: User) -> SlaPolicy:
    """A new policy, tried after the existing ones (reorder to change that)."""
    require_service_admin(by)
    policy = SlaPolicy(position=_next_position(SlaPolicy))
    _apply_policy(policy, data)
    policy.save()
    audit.record_change(
        actor=by,
        area=AREA,
        action="created",
        target=policy,
        changes=audit.diff({}, audit.snapshot(policy, POLICY_FIELDS)),
    )
    _reclock()
    return policy


@transaction.atomic
def update_policy(policy: SlaPolicy, data: PolicyInput, *, by: User) -> SlaPolicy:
    require_service_admin(by)
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    before = audit.snapshot(policy, POLICY_FIELDS)
    _apply_policy(policy, data)
    policy.save()
    changes = audit.diff(before, audit.snapshot(policy, POLICY_FIELDS))
    audit.record_change(actor=by, area=AREA, action="changed", target=policy, changes=changes)
    if changes:
        _reclock()
    return policy


@transaction.atomic
def set_policy_active(policy: SlaPolicy, active: bool, *, by: User) -> SlaPolicy:
    require_service_admin(by)
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.is_active == active:
        return policy
    policy.is_active = active
    policy.save(update_fields=["is_active"])
    audit.record_change(
        actor=by,
        area=AREA,
        action="enabled" if active else "disabled",
        target=policy,
        changes={"is_active": [not active, active]},
    )
    _reclock()
    return policy


@transaction.atomic
def delete_policy(policy: SlaPolicy, *, by: User) -> None:
    """Tickets it timed lose it (their clocks fall to the next matching policy)."""
    require_service_admin(by)
    before = audit.snapshot(policy, POLICY_FIELDS)
    audit.record_change(
        actor=by, area=AREA, action="deleted", target=policy, changes=audit.diff(before, {})
    )
    policy.delete()
    _reclock()


@transaction.atomic
def order_policies(ids: list[int], *, by: User) -> list[SlaPolicy]:
    """Put the policies in this order (every policy's id, once each)."""
    require_service_admin(by)
    return _order(SlaPolicy, ids, by=by)


@transaction.atomic
def move_policy(policy: SlaPolicy, *, up: bool, by: User) -> list[SlaPolicy]:
    """One step up or down in the order policies are tried."""
    require_service_admin(by)
    return _order(SlaPolicy, _moved(SlaPolicy, policy.pk, up), by=by)


# Escalation rules


@dataclass
class RuleInput:
    name: str
    to_level: str
    reason: str
    on_risk: bool = False
    priority: int | None = None
    type: str = ""
    organization: int | None = None
    is_active: bool = True


def _apply_rule(rule: EscalationRule, data: RuleInput) -> None:
    rule.name = _name(data.name, what=_("Give the rule a name."))
    rule.organization = _criteria(data.priority, data.type, data.organization)
    rule.priority = data.priority
    rule.type = data.type
    if data.to_level not in LEVELS[1:]:
        raise _bad(errors.INVALID_LEVEL, _("Escalate to line 2, 3 or the team lead."), "to_level")
    rule.to_level = data.to_level
    reason = " ".join((data.reason or "").split())
    if not reason:
        raise _bad(errors.REASON_REQUIRED, _("Say why tickets are escalated."), "reason")
    if len(reason) > 255:
        raise _bad(errors.TOO_LONG, _("The reason is too long."), "reason")
    rule.reason = reason
    rule.on_risk = data.on_risk
    rule.is_active = data.is_active


@transaction.atomic
def create_rule(data: RuleInput, *, by: User) -> EscalationRule:
    require_service_admin(by)
    rule = EscalationRule(position=_next_position(EscalationRule))
    _apply_rule(rule, data)
    rule.save()
    audit.record_change(
        actor=by,
        area=AREA,
        action="created",
        target=rule,
        changes=audit.diff({}, audit.snapshot(rule, RULE_FIELDS)),
    )
    return rule


@transaction.atomic
def update_rule(rule: EscalationRule, data: RuleInput, *, by: User) -> EscalationRule:
    require_service_admin(by)
    rule = EscalationRule.objects.select_for_update().get(pk=rule.pk)
    before = audit.snapshot(rule, RULE_FIELDS)
    _apply_rule(rule, data)
    rule.save()
    audit.record_change(
        actor=by,
        area=AREA,
        action="changed",
        target=rule,
        changes=audit.diff(before, audit.snapshot(rule, RULE_FIELDS)),
    )
    return rule


@transaction.atomic
def delete_rule(rule: EscalationRule, *, by: User) -> None:
    require_service_admin(by)
    before = audit.snapshot(rule, RULE_FIELDS)
    audit.record_change(
        actor=by, area=AREA, action="deleted", target=rule, changes=audit.diff(before, {})
    )
    rule.delete()


@transaction.atomic
def move_rule(rule: EscalationRule, *, up: bool, by: User) -> list[EscalationRule]:
    require_service_admin(by)
    return _order(EscalationRule, _moved(EscalationRule, rule.pk, up), by=by)


# Ordering, shared by policies and rules


def _moved(model: Any, pk: int, up: bool) -> list[int]:
    ids = list(model.objects.order_by("position", "id").values_list("pk", flat=True))
    index = ids.index(pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    return ids


def _order(model: Any, ids: list[int], *, by: User) -> list[Any]:
    rows = {row.pk: row for row in model.objects.select_for_update().order_by("pk")}
    if sorted(ids) != sorted(rows) or len(set(ids)) != len(ids):
        raise _bad(errors.BAD_ORDER, _("List every item once, in the order wanted."), "ids")
    before = sorted(rows, key=lambda pk: (rows[pk].position, pk))
    changed = []
    for index, pk in enumerate(ids):
        row = rows[pk]
        if row.position != (index + 1) * 10:
            row.position = (index + 1) * 10
            changed.append(row)
    model.objects.bulk_update(changed, ["position"])
    if before != ids:
        audit.record_change(
            actor=by,
            area=AREA,
            action="reordered",
            target_type=model._meta.model_name,
            label=str(model._meta.verbose_name_plural),
            changes={"order": [before, ids]},
        )
        if model is SlaPolicy:
            _reclock()
        # bulk_update sends no signals: the kept configuration must be read again.
        from opora.sla.config import configuration_changed

        configuration_changed()
    return [rows[pk] for pk in ids]


# Support lines' names


@transaction.atomic
def set_line_names(names: dict[str, tuple[str, str]], *, by: User) -> None:
    """Name the levels: {"1": ("1st line", "1-я линия"), ...}; empty names fall back to
    the built-in labels. Levels left out keep their names."""
    require_service_admin(by)
    for level, (en, ru) in names.items():
        if level not in LEVELS:
            raise _bad(errors.INVALID_LEVEL, _("The level must be 1, 2, 3 or lead."), "level")
        for lang, text in (("en", en), ("ru", ru)):
            if len(" ".join(text.split())) > 60:
                message = _("A name is at most 60 characters.")
                raise _bad(errors.TOO_LONG, message, f"{level}.{lang}")
    for level, (en, ru) in sorted(names.items()):
        row = SupportLineName.objects.select_for_update().filter(level=level).first()
        before = {"name_en": row.name_en, "name_ru": row.name_ru} if row else {}
        row = row or SupportLineName(level=level)
        row.name_en, row.name_ru = " ".join(en.split()), " ".join(ru.split())
        after = {"name_en": row.name_en, "name_ru": row.name_ru}
        changes = audit.diff(before or {"name_en": "", "name_ru": ""}, after)
        if not changes:
            continue
        row.save()
        audit.record_change(
            actor=by,
            area=AREA,
            action="changed",
            target=row,
            label=_("Level %(level)s") % {"level": level},
            changes=changes,
        )


def _bad(code: str, message: str, field_name: str) -> ValidationFailed:
    return ValidationFailed(code, message, field=field_name)


def _reclock() -> None:
    """Due dates follow the new rules: the open tickets' clocks, recomputed in one job."""
    from opora.sla.tasks import reclock_open_tickets

    enqueue_after_commit(reclock_open_tickets)
