"""The console's "Service" section: business-hours calendars, SLA policies, escalation
rules and the support lines' names.

Administrators change them; team leads see the same pages read-only. Thin views:
parse → permission → one `sla.service` action → redirect, or the form again with each
error beside its field. The API (`api/sla.py`) calls the same actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.models import Organization, User
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.core.numbers import parse_id
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404
from opora.sla import lines, selectors, service
from opora.sla.models import BusinessCalendar, DayKind, EscalationRule, SlaPolicy
from opora.tickets.models import Priority, TicketType

service_section = section_required("service")
WEEKDAY_NAMES = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)


def _may_manage(request: HttpRequest) -> bool:
    return selectors.may_manage_service(current_user(request))


def _found(lookup: Any, pk: int) -> Any:
    try:
        return lookup(pk)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _page(
    request: HttpRequest, template: str, page: str, status: int = 200, **extra: Any
) -> HttpResponse:
    context = console_context(request, page, may_manage=_may_manage(request), **extra)
    return render(request, f"console/{template}", context, status=status)


# Calendars


@require_GET
@service_section
def calendar_list(request: HttpRequest) -> HttpResponse:
    used = selectors.calendars_in_use()
    rows = [(c, c.pk in used) for c in selectors.calendars()]
    return _page(request, "service_calendars.html", "calendars", rows=rows)


def _calendar_input(post: Any) -> service.CalendarInput:
    """The editor's fields: per weekday `start-N`/`end-N` lists (a blank pair is no
    interval) and `closed-N`; dated days as `day-date`/`day-kind`/`day-note` rows."""
    week: dict[str, list[list[str]]] = {}
    for day in service.WEEKDAYS:
        if post.get(f"closed-{day}"):
            continue
        pairs = zip(post.getlist(f"start-{day}"), post.getlist(f"end-{day}"), strict=False)
        spans = [[a.strip(), b.strip()] for a, b in pairs if a.strip() or b.strip()]
        if spans:
            week[day] = spans
    days = [
        service.DayInput(when.strip(), kind, note)
        for when, kind, note in zip(
            post.getlist("day-date"),
            post.getlist("day-kind"),
            post.getlist("day-note"),
            strict=False,
        )
        if when.strip() or note.strip()
    ]
    return service.CalendarInput(
        name=post.get("name", ""),
        time_zone=post.get("time_zone", ""),
        week=week,
        always_open=bool(post.get("always_open")),
        is_default=bool(post.get("is_default")),
        days=days,
    )


def _input_of(calendar: BusinessCalendar) -> service.CalendarInput:
    return service.CalendarInput(
        name=calendar.name,
        time_zone=calendar.time_zone,
        week=calendar.week or {},
        always_open=calendar.always_open,
        is_default=calendar.is_default,
        days=[
            service.DayInput(d.date.isoformat(), d.kind, d.name)
            for d in selectors.calendar_days(calendar)
        ],
    )


def _editor(
    request: HttpRequest,
    data: service.CalendarInput,
    calendar: BusinessCalendar | None,
    *,
    problems: list[OporaError] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for problem in problems or []:
        errors.setdefault(problem.field or "", []).append(problem.message)
    week_clean, _found_problems = service.clean_week(data.week)
    days = service.clean_days(data.days or [])[0]
    preview = selectors.week_preview(
        time_zone=data.time_zone,
        week=week_clean,
        days={when: kind for when, (kind, _note) in days.items()},
        always_open=data.always_open,
        start=timezone.localdate(),
    )
    grid = [
        {
            "day": day,
            "label": WEEKDAY_NAMES[int(day) - 1],
            "spans": data.week.get(day) or [],
            "closed": not data.week.get(day),
            "errors": errors.get(f"week.{day}", []),
        }
        for day in service.WEEKDAYS
    ]
    rows = [
        {"day": d, "errors": errors.get(f"days.{i}", [])} for i, d in enumerate(data.days or [])
    ]
    return _page(
        request,
        "service_calendar.html",
        "calendars",
        status=status,
        calendar=calendar,
        data=data,
        grid=grid,
        rows=rows,
        errors=errors,
        week_errors=errors.get("week", []),
        kinds=DayKind.choices,
        time_zones=service.time_zones(),
        preview=preview,
        years=service.production_calendar_years(),
    )


@require_http_methods(["GET", "POST"])
@service_section
def calendar_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        blank = service.CalendarInput(name="", week={d: [["09:00", "18:00"]] for d in "12345"})
        return _editor(request, blank, None)
    return _save_calendar(request, None)


@require_http_methods(["GET", "POST"])
@service_section
def calendar_edit(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = _found(selectors.access_calendar, calendar_id)
    if request.method == "GET":
        return _editor(request, _input_of(calendar), calendar)
    return _save_calendar(request, calendar)


def _save_calendar(request: HttpRequest, calendar: BusinessCalendar | None) -> HttpResponse:
    if not _may_manage(request):
        return forbidden(request)
    data = _calendar_input(request.POST)
    try:
        saved = service.save_calendar(data, by=current_user(request), calendar=calendar)
    except service.Invalid as exc:
        return _editor(request, data, calendar, problems=list(exc.problems), status=400)
    except OporaError as exc:
        return _editor(request, data, calendar, problems=[exc], status=400)
    messages.success(request, _("The calendar was saved."))
    return redirect("console:service_calendar", calendar_id=saved.pk)


@require_POST
@service_section
def calendar_load_ru(request: HttpRequest, calendar_id: int) -> HttpResponse:
    if not _may_manage(request):
        return forbidden(request)
    calendar = _found(selectors.access_calendar, calendar_id)
    loaded = service.load_ru_production_calendar(calendar, by=current_user(request))
    messages.success(
        request,
        _("%(count)s dates of the Russian production calendar were loaded.") % {"count": loaded},
    )
    return redirect("console:service_calendar", calendar_id=calendar.pk)


@require_POST
@service_section
def calendar_delete(request: HttpRequest, calendar_id: int) -> HttpResponse:
    if not _may_manage(request):
        return forbidden(request)
    calendar = _found(selectors.access_calendar, calendar_id)
    try:
        service.delete_calendar(calendar, by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The calendar was deleted."))
    return redirect("console:service_calendars")


# Criteria shared by policies and rules


def _priority_choices() -> list[tuple[str, str]]:
    return [("", _("Any priority"))] + [(str(v), str(label)) for v, label in Priority.choices]


def _type_choices() -> list[tuple[str, str]]:
    return [("", _("Any type"))] + [(v, str(label)) for v, label in TicketType.choices]


def _organization_choices() -> list[tuple[str, str]]:
    return [("", _("Any organization"))] + [
        (str(pk), name)
        for pk, name in Organization.objects.order_by("name").values_list("pk", "name")
    ]


class CriteriaForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), required=False)
    type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)
    organization = forms.ChoiceField(label=gettext_lazy("Organization"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, readonly: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("priority", _priority_choices())
        self._choices("type", _type_choices())
        self._choices("organization", _organization_choices())
        if readonly:
            for field in self.fields.values():
                field.disabled = True

    def _choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "priority": parse_id(data.get("priority") or ""),
            "type": data.get("type") or "",
            "organization": parse_id(data.get("organization") or ""),
        }


def _criteria_initial(row: SlaPolicy | EscalationRule) -> dict[str, Any]:
    return {
        "name": row.name,
        "priority": str(row.priority or ""),
        "type": row.type,
        "organization": str(row.organization_id or ""),
        "is_active": row.is_active,
    }


def _act(request: HttpRequest, action: Any, done: str, to: str) -> HttpResponse:
    """A list's button (move, enable, delete): the action, its outcome as a message."""
    if not _may_manage(request):
        return forbidden(request)
    try:
        action()
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(to)


# SLA policies

TARGETS = (
    ("first_response", gettext_lazy("First response")),
    ("next_response", gettext_lazy("Next response")),
    ("resolution", gettext_lazy("Resolution")),
)


class PolicyForm(CriteriaForm):
    calendar = forms.ChoiceField(label=gettext_lazy("Business hours"))
    first_response_hours = forms.IntegerField(required=False, min_value=0, max_value=8784)
    first_response_mins = forms.IntegerField(required=False, min_value=0, max_value=59)
    next_response_hours = forms.IntegerField(required=False, min_value=0, max_value=8784)
    next_response_mins = forms.IntegerField(required=False, min_value=0, max_value=59)
    resolution_hours = forms.IntegerField(required=False, min_value=0, max_value=8784)
    resolution_mins = forms.IntegerField(required=False, min_value=0, max_value=59)
    pause_on_hold = forms.BooleanField(
        label=gettext_lazy("Pause the clock while the ticket is on hold"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("calendar", [(str(c.pk), c.name) for c in selectors.calendars()])

    def minutes(self, target: str) -> int | None:
        hours = self.cleaned_data.get(f"{target}_hours")
        mins = self.cleaned_data.get(f"{target}_mins")
        if hours is None and mins is None:
            return None
        return (hours or 0) * 60 + (mins or 0)

    def targets(self) -> list[tuple[str, Any, Any, Any]]:
        return [(key, label, self[f"{key}_hours"], self[f"{key}_mins"]) for key, label in TARGETS]

    def policy_input(self) -> service.PolicyInput:
        return service.PolicyInput(
            name=self.cleaned_data["name"],
            calendar=parse_id(self.cleaned_data["calendar"]) or 0,
            first_response_minutes=self.minutes("first_response"),
            next_response_minutes=self.minutes("next_response"),
            resolution_minutes=self.minutes("resolution"),
            pause_on_hold=self.cleaned_data["pause_on_hold"],
            is_active=self.cleaned_data["is_active"],
            **self.criteria(),
        )


def _policy_initial(policy: SlaPolicy) -> dict[str, Any]:
    initial = _criteria_initial(policy) | {
        "calendar": str(policy.calendar_id),
        "pause_on_hold": policy.pause_on_hold,
    }
    for key, _label in TARGETS:
        minutes = getattr(policy, f"{key}_minutes")
        if minutes is not None:
            initial[f"{key}_hours"], initial[f"{key}_mins"] = divmod(minutes, 60)
    return initial


@require_GET
@service_section
def policy_list(request: HttpRequest) -> HttpResponse:
    priorities, types = dict(Priority.choices), dict(TicketType.choices)
    rows = [
        (p, priorities.get(p.priority, "") if p.priority else "", types.get(p.type, p.type))
        for p in selectors.policies()
    ]
    return _page(request, "service_policies.html", "policies", rows=rows)


def _policy_page(
    request: HttpRequest, form: PolicyForm, policy: SlaPolicy | None, *, status: int = 200
) -> HttpResponse:
    return _page(
        request, "service_policy.html", "policies", status=status, form=form, policy=policy
    )


@require_http_methods(["GET", "POST"])
@service_section
def policy_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        default = next((c for c in selectors.calendars() if c.is_default), None)
        initial = {"is_active": True, "calendar": str(default.pk) if default else ""}
        return _policy_page(request, PolicyForm(initial=initial), None)
    return _save_policy(request, None)


@require_http_methods(["GET", "POST"])
@service_section
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = _found(selectors.access_policy, policy_id)
    if request.method == "GET":
        form = PolicyForm(initial=_policy_initial(policy), readonly=not _may_manage(request))
        return _policy_page(request, form, policy)
    return _save_policy(request, policy)


def _save_policy(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    if not _may_manage(request):
        return forbidden(request)
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return _policy_page(request, form, policy, status=400)
    user = current_user(request)
    try:
        if policy is None:
            service.create_policy(form.policy_input(), by=user)
        else:
            service.update_policy(policy, form.policy_input(), by=user)
    except OporaError as exc:
        field = _target_field(exc.field)
        add_action_error(form, exc, default_field=field)
        return _policy_page(request, form, policy, status=400)
    messages.success(request, _("The policy was saved; open tickets are re-clocked."))
    return redirect("console:service_policies")


def _target_field(field: str | None) -> str | None:
    """An action's "first_response_minutes" is the form's "first_response_hours"."""
    if field and field.endswith("_minutes"):
        return field.removesuffix("_minutes") + "_hours"
    return None


@require_POST
@service_section
def policy_move(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = _found(selectors.access_policy, policy_id)
    up = request.POST.get("direction") == "up"
    return _act(
        request,
        lambda: service.move_policy(policy, up=up, by=current_user(request)),
        _("The order was changed."),
        "console:service_policies",
    )


@require_POST
@service_section
def policy_toggle(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = _found(selectors.access_policy, policy_id)
    active = request.POST.get("active") == "1"
    return _act(
        request,
        lambda: service.set_policy_active(policy, active, by=current_user(request)),
        _("The policy was enabled.") if active else _("The policy was disabled."),
        "console:service_policies",
    )


@require_POST
@service_section
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = _found(selectors.access_policy, policy_id)
    return _act(
        request,
        lambda: service.delete_policy(policy, by=current_user(request)),
        _("The policy was deleted."),
        "console:service_policies",
    )


# Escalation rules


class RuleForm(CriteriaForm):
    on_risk = forms.BooleanField(
        label=gettext_lazy("Only when the ticket's SLA is at risk or breached"), required=False
    )
    to_level = forms.ChoiceField(label=gettext_lazy("Escalate to"))
    reason = forms.CharField(label=gettext_lazy("Reason (shown on the ticket)"), max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = lines.level_labels()
        self._choices("to_level", [(level, labels[level]) for level in lines.LEVELS[1:]])

    def rule_input(self) -> service.RuleInput:
        data = self.cleaned_data
        return service.RuleInput(
            name=data["name"],
            to_level=data["to_level"],
            reason=data["reason"],
            on_risk=data["on_risk"],
            is_active=data["is_active"],
            **self.criteria(),
        )


@require_GET
@service_section
def rule_list(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "service_rules.html",
        "rules",
        rules=selectors.escalation_rules(),
        labels=lines.level_labels(),
    )


def _rule_page(
    request: HttpRequest, form: RuleForm, rule: EscalationRule | None, *, status: int = 200
) -> HttpResponse:
    return _page(request, "service_rule.html", "rules", status=status, form=form, rule=rule)


@require_http_methods(["GET", "POST"])
@service_section
def rule_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _rule_page(request, RuleForm(initial={"is_active": True, "to_level": "2"}), None)
    return _save_rule(request, None)


@require_http_methods(["GET", "POST"])
@service_section
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _found(selectors.access_rule, rule_id)
    if request.method == "GET":
        initial = _criteria_initial(rule) | {
            "on_risk": rule.on_risk,
            "to_level": rule.to_level,
            "reason": rule.reason,
        }
        return _rule_page(
            request, RuleForm(initial=initial, readonly=not _may_manage(request)), rule
        )
    return _save_rule(request, rule)


def _save_rule(request: HttpRequest, rule: EscalationRule | None) -> HttpResponse:
    if not _may_manage(request):
        return forbidden(request)
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _rule_page(request, form, rule, status=400)
    user = current_user(request)
    try:
        if rule is None:
            service.create_rule(form.rule_input(), by=user)
        else:
            service.update_rule(rule, form.rule_input(), by=user)
    except OporaError as exc:
        add_action_error(form, exc)
        return _rule_page(request, form, rule, status=400)
    messages.success(request, _("The rule was saved."))
    return redirect("console:service_rules")


@require_POST
@service_section
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _found(selectors.access_rule, rule_id)
    up = request.POST.get("direction") == "up"
    return _act(
        request,
        lambda: service.move_rule(rule, up=up, by=current_user(request)),
        _("The order was changed."),
        "console:service_rules",
    )


@require_POST
@service_section
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _found(selectors.access_rule, rule_id)
    return _act(
        request,
        lambda: service.delete_rule(rule, by=current_user(request)),
        _("The rule was deleted."),
        "console:service_rules",
    )


# Support lines' names


@require_http_methods(["GET", "POST"])
@service_section
def line_names(request: HttpRequest) -> HttpResponse:
    """What the desk calls lines 1-3 and the team lead, in English and Russian."""
    user: User = current_user(request)
    problem: OporaError | None = None
    if request.method == "POST":
        if not _may_manage(request):
            return forbidden(request)
        names = {
            level: (request.POST.get(f"en-{level}", ""), request.POST.get(f"ru-{level}", ""))
            for level in lines.LEVELS
        }
        try:
            service.set_line_names(names, by=user)
        except OporaError as exc:
            problem = exc
        else:
            messages.success(request, _("The names were saved."))
            return redirect("console:service_lines")
    named = lines.custom_names()
    english, russian = lines.level_labels("en"), lines.level_labels("ru")
    rows = [
        {
            "level": level,
            "en": request.POST.get(f"en-{level}") if problem else named.get(level, ("", ""))[0],
            "ru": request.POST.get(f"ru-{level}") if problem else named.get(level, ("", ""))[1],
            "builtin_en": lines.builtin_label(level, "en"),
            "builtin_ru": lines.builtin_label(level, "ru"),
            "label_en": english[level],
            "label_ru": russian[level],
        }
        for level in lines.LEVELS
    ]
    return _page(
        request,
        "service_lines.html",
        "lines",
        status=400 if problem else 200,
        rows=rows,
        problem=problem,
    )
