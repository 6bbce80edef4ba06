"""The console's Automation section, triggers: the list in the order they run (with how
often each fired this week), the editor of conditions and actions as rows, and each
trigger's firing log.

Admins only, as the API (`api/triggers.py`). The views parse the rows a person wrote
into the shapes the API takes and hand them to the same actions
(`automation.triggers.save_trigger` and its neighbours): the checks live there, once,
and an error naming a row ("conditions.2.value") is shown beside that row. Time rules
and webhooks are in `console/automation_hooks.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.models import Language, Organization, Role, Team, User
from opora.automation import triggers
from opora.automation.models import Trigger, TriggerEvent, TriggerRun, Webhook
from opora.console.access import section_required
from opora.console.context import console_context
from opora.core import clock
from opora.core.errors import OporaError
from opora.core.numbers import parse_id, parse_int
from opora.pages import PageForm, add_action_error, current_user
from opora.sla.lines import level_labels
from opora.tickets.models import Channel, Priority, TicketStatus, TicketType

automation_section = section_required("automation")
MAX_ROWS = 50  # conditions or actions per trigger, as the API allows
LOG_PAGE = 50
Choices = list[tuple[str, str]]

OPERATOR_LABELS = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "is_set": gettext_lazy("is set"),
    "is_not_set": gettext_lazy("is not set"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
}
FIELD_LABELS = {
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "type": gettext_lazy("Type"),
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "line": gettext_lazy("Support line"),
    "assignee": gettext_lazy("Assignee"),
    "organization": gettext_lazy("Organization"),
    "tags": gettext_lazy("Tags"),
    "vip": gettext_lazy("VIP organization"),
    "subject": gettext_lazy("Subject"),
    "message": gettext_lazy("Message text"),
    "language": gettext_lazy("Language"),
    "sentiment": gettext_lazy("Customer's tone"),
    "business_hours": gettext_lazy("Within business hours"),
}
ACTION_LABELS = {
    "status": gettext_lazy("Set status"),
    "priority": gettext_lazy("Set priority"),
    "type": gettext_lazy("Set type"),
    "line": gettext_lazy("Set support line"),
    "assign_person": gettext_lazy("Assign to"),
    "assign_team": gettext_lazy("Move to team"),
    "add_tags": gettext_lazy("Add tags"),
    "remove_tags": gettext_lazy("Remove tags"),
    "notify": gettext_lazy("Notify by e-mail"),
    "reply": gettext_lazy("Reply to the customer"),
    "webhook": gettext_lazy("Call a webhook"),
}
# Values that are ids: stored as numbers, as the API's callers send them.
ID_FIELDS = {"team", "assignee", "organization", "line"}
ID_ACTIONS = {"line", "assign_person", "assign_team", "webhook"}
TEXT_FIELDS = {"tags", "subject", "message"}
BOOL_FIELDS = {"vip", "business_hours"}
TAG_SPLIT = re.compile(r"[,\s]+")
# What `automation.triggers.render` fills in a reply or a notice.
PLACEHOLDERS = ("number", "subject", "status", "requester", "url")


def placeholder_hints() -> list[str]:
    return ["{{ ticket." + p + " }}" for p in PLACEHOLDERS]


# --- The desk's values the rows offer ----------------------------------------------


def _agents() -> Choices:
    people = User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.ADMIN])
    return [(str(u.pk), u.display_name) for u in people.order_by("name", "id")]


def _teams() -> Choices:
    return [(str(pk), name) for pk, name in Team.objects.order_by("name").values_list("pk", "name")]


def vocabulary() -> dict[str, Any]:
    """Every field's operators and values, every action's values: for the rows the
    server renders and, as JSON, for the rows the editor's script adds."""
    yes_no: Choices = [("yes", _("yes")), ("no", _("no"))]
    lines = [(level, label) for level, label in level_labels().items()]
    organizations = Organization.objects.order_by("name").values_list("pk", "name")[:1000]
    teams, agents = _teams(), _agents()
    values: dict[str, Choices | None] = {
        "status": [(str(v), str(label)) for v, label in TicketStatus.choices],
        "priority": [(p.code, str(p.label)) for p in Priority],
        "type": [(str(v), str(label)) for v, label in TicketType.choices],
        "channel": [(str(v), str(label)) for v, label in Channel.choices],
        "team": teams,
        "line": lines,
        "assignee": agents,
        "organization": [(str(pk), name) for pk, name in organizations],
        "tags": None,
        "vip": yes_no,
        "subject": None,
        "message": None,
        "language": [(str(v), str(label)) for v, label in Language.choices],
        "sentiment": [
            ("negative", _("negative")),
            ("neutral", _("neutral")),
            ("positive", _("positive")),
        ],
        "business_hours": yes_no,
    }
    hooks = [(str(pk), name) for pk, name in Webhook.objects.values_list("pk", "name")]
    roles: Choices = [
        ("assignee", _("The assignee")),
        ("team", _("The team")),
        ("admins", _("The admins")),
    ]
    actions: dict[str, Choices | None] = {
        "status": values["status"],
        "priority": values["priority"],
        "type": values["type"],
        "line": lines,
        "assign_person": agents,
        "assign_team": teams,
        "add_tags": None,
        "remove_tags": None,
        "notify": roles + agents,
        "reply": None,
        "webhook": hooks,
    }
    return {
        "fields": {
            name: {
                "label": str(FIELD_LABELS[name]),
                "operators": list(operators),
                "choices": values[name],
            }
            for name, operators in triggers.FIELDS.items()
        },
        "operators": {k: str(v) for k, v in OPERATOR_LABELS.items()},
        "actions": {
            name: {"label": str(ACTION_LABELS[name]), "choices": actions[name]}
            for name in triggers.ACTIONS
        },
        "labels": {
            "remove": _("Remove"),
            "value": _("Value"),
            "subject": _("Subject"),
            "body": _("Text"),
            "tags_hint": _("Tags, separated by commas"),
            "field": _("Field"),
            "operator": _("Operator"),
            "action": _("Action"),
        },
    }


# --- Rows: what was posted, as the API takes it, and back for the page ---------------


@dataclass
class Row:
    """One condition or action row as the page shows it."""

    index: int
    kind: str  # the condition's field or the action's type
    operator: str = ""
    selected: list[str] = field(default_factory=list)
    text: str = ""
    subject: str = ""
    body: str = ""
    error: str = ""
    # How the page draws it (`dress`): the choices of its selects and its value control.
    kinds: list[tuple[str, str]] = field(default_factory=list)
    operators: list[tuple[str, str]] = field(default_factory=list)
    control: str = "text"  # select, multi, text, textarea, notify or none
    choices: list[tuple[str, str, bool]] = field(default_factory=list)
    hint: str = ""

    @property
    def index_text(self) -> str:
        return str(self.index)

    def offer(self, choices: Choices | None) -> None:
        self.choices = [(v, label, v in self.selected) for v, label in choices or []]


def _indices(post: QueryDict, prefix: str) -> list[int]:
    pattern = re.compile(rf"^{prefix}-(\d{{1,4}})-(field|type)$")
    found = {int(m.group(1)) for key in post if (m := pattern.match(key))}
    return sorted(found)


def _number_or_text(value: str) -> int | str:
    number = parse_int(value)
    return number if number is not None else value


def _condition_value(post: QueryDict, i: int, name: str, operator: str) -> Any:
    raw = [v.strip() for v in post.getlist(f"c-{i}-value")]
    if operator in ("is_set", "is_not_set"):
        return None
    if operator in ("in", "not_in"):
        items = raw if len(raw) != 1 else [v.strip() for v in raw[0].split(",")]
        chosen = [v for v in items if v]
        return [_number_or_text(v) for v in chosen] if name in ID_FIELDS else chosen
    one = raw[0] if raw else ""
    if name in BOOL_FIELDS:
        return {"yes": True, "no": False}.get(one, one)
    return _number_or_text(one) if name in ID_FIELDS else one


def _action_value(post: QueryDict, i: int, kind: str) -> Any:
    one = post.get(f"a-{i}-value", "").strip()
    if kind in ("add_tags", "remove_tags"):
        return [t for t in TAG_SPLIT.split(one) if t]
    if kind == "notify":
        to = post.get(f"a-{i}-to", "").strip()
        return {
            "to": to if to in triggers.NOTIFY_ROLES else _number_or_text(to),
            "subject": post.get(f"a-{i}-subject", "").strip(),
            "body": post.get(f"a-{i}-body", "").strip(),
        }
    if kind == "reply":
        return post.get(f"a-{i}-value", "").strip()
    return _number_or_text(one) if kind in ID_ACTIONS else one


def posted_rows(post: QueryDict) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The conditions and actions the form posted, in the API's shape and page order."""
    conditions = []
    for i in _indices(post, "c")[:MAX_ROWS]:
        name, operator = post.get(f"c-{i}-field", ""), post.get(f"c-{i}-operator", "")
        value = _condition_value(post, i, name, operator)
        conditions.append({"field": name, "operator": operator, "value": value})
    actions = []
    for i in _indices(post, "a")[:MAX_ROWS]:
        kind = post.get(f"a-{i}-type", "")
        actions.append({"type": kind, "value": _action_value(post, i, kind)})
    return conditions, actions


def _as_strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def condition_rows(conditions: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for i, c in enumerate(conditions):
        value = c.get("value")
        selected = _as_strings(value)
        text = ", ".join(selected) if isinstance(value, list) else (selected or [""])[0]
        rows.append(Row(i, str(c.get("field", "")), str(c.get("operator", "")), selected, text))
    return rows


def action_rows(actions: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for i, a in enumerate(actions):
        value, kind = a.get("value"), str(a.get("type", ""))
        if kind == "notify" and isinstance(value, dict):
            to = [str(value.get("to", ""))]
            subject, body = str(value.get("subject", "")), str(value.get("body", ""))
            row = Row(i, kind, "", to, "", subject, body)
        elif isinstance(value, list):
            row = Row(i, kind, "", _as_strings(value), ", ".join(_as_strings(value)))
        else:
            row = Row(i, kind, "", _as_strings(value), "" if value is None else str(value))
        rows.append(row)
    return rows


def dress(rows: dict[str, list[Row]], vocab: dict[str, Any]) -> dict[str, list[Row]]:
    """Give each row the choices and the value control its field or action calls for."""
    fields, operators, actions = vocab["fields"], vocab["operators"], vocab["actions"]
    hint = vocab["labels"]["tags_hint"]
    for row in rows["conditions"]:
        spec = fields.get(row.kind, {"operators": [], "choices": None})
        row.kinds = [(k, f["label"]) for k, f in fields.items()]
        row.operators = [(op, operators[op]) for op in spec["operators"]]
        if row.operator in ("is_set", "is_not_set"):
            row.control = "none"
        elif spec["choices"] is None:
            row.control, row.hint = "text", hint if row.kind == "tags" else ""
        else:
            row.control = "multi" if row.operator in ("in", "not_in") else "select"
            row.offer(spec["choices"])
    for row in rows["actions"]:
        spec = actions.get(row.kind, {"choices": None})
        row.kinds = [(k, a["label"]) for k, a in actions.items()]
        if row.kind == "notify":
            row.control = "notify"
        elif row.kind == "reply":
            row.control = "textarea"
        elif spec["choices"] is None:
            row.control, row.hint = "text", hint if row.kind.endswith("_tags") else ""
        else:
            row.control = "select"
        row.offer(spec["choices"])
    return rows


class TriggerForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), required=False)
    event = forms.ChoiceField(label=gettext_lazy("When"), choices=TriggerEvent.choices)
    match = forms.ChoiceField(
        label=gettext_lazy("Conditions to meet"),
        choices=[("all", gettext_lazy("All of them")), ("any", gettext_lazy("Any of them"))],
    )
    active = forms.BooleanField(label=gettext_lazy("On"), required=False)


_ROW_ERROR = re.compile(r"^(conditions|actions)\.(\d+)")


def _show_error(
    form: TriggerForm, rows: dict[str, list[Row]], errors: dict[str, str], exc: OporaError
) -> None:
    """An action's error beside its row, its list, or its field."""
    where = exc.field or ""
    found = _ROW_ERROR.match(where)
    if found and int(found.group(2)) < len(rows[found.group(1)]):
        rows[found.group(1)][int(found.group(2))].error = exc.message
    elif where in ("conditions", "actions"):
        errors[where] = exc.message
    else:
        add_action_error(form, exc)


# --- Pages --------------------------------------------------------------------------


def _with_counts(queryset: QuerySet[Trigger]) -> QuerySet[Trigger]:
    week_ago = clock.now() - timedelta(days=7)
    return queryset.annotate(
        fired_week=Count("runs", filter=Q(runs__at__gte=week_ago)),
        last_fired=Max("runs__at"),
    )


@require_GET
@automation_section
def trigger_list(request: HttpRequest) -> HttpResponse:
    rows = list(_with_counts(Trigger.objects.order_by("position", "id")))
    events = dict(TriggerEvent.choices)
    context = console_context(request, "triggers", rows=rows, events=events)
    return render(request, "console/automation/triggers.html", context)


def _found(pk: int) -> Trigger:
    found = Trigger.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _editor(
    request: HttpRequest,
    form: TriggerForm,
    trigger: Trigger | None,
    rows: dict[str, list[Row]],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    vocab = vocabulary()
    dress(rows, vocab)
    context = console_context(
        request,
        "triggers",
        form=form,
        trigger=trigger,
        conditions=rows["conditions"],
        actions=rows["actions"],
        row_errors=errors or {},
        vocabulary=vocab,
        placeholders=placeholder_hints(),
    )
    return render(request, "console/automation/trigger.html", context, status=status)


@require_http_methods(["GET", "POST"])
@automation_section
def trigger_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = TriggerForm(initial={"active": True, "event": "created", "match": "all"})
        rows = {
            "conditions": condition_rows([{"field": "subject", "operator": "contains"}]),
            "actions": action_rows([{"type": "add_tags"}]),
        }
        return _editor(request, form, None, rows)
    return _save(request, None)


@require_http_methods(["GET", "POST"])
@automation_section
def trigger_edit(request: HttpRequest, trigger_id: int) -> HttpResponse:
    found = _found(trigger_id)
    if request.method == "GET":
        initial = {"name": found.name, "event": found.event, "match": found.match}
        form = TriggerForm(initial=initial | {"active": found.active})
        rows = {
            "conditions": condition_rows(found.conditions),
            "actions": action_rows(found.actions),
        }
        return _editor(request, form, found, rows)
    return _save(request, found)


def _save(request: HttpRequest, trigger: Trigger | None) -> HttpResponse:
    form = TriggerForm(request.POST)
    conditions, actions = posted_rows(request.POST)
    rows = {"conditions": condition_rows(conditions), "actions": action_rows(actions)}
    if not form.is_valid():
        return _editor(request, form, trigger, rows, status=400)
    data = form.cleaned_data
    try:
        saved = triggers.save_trigger(
            by=current_user(request),
            trigger=trigger,
            name=data["name"],
            event=data["event"],
            match=data["match"],
            active=data["active"],
            conditions=conditions,
            actions=actions,
        )
    except OporaError as exc:
        errors: dict[str, str] = {}
        _show_error(form, rows, errors, exc)
        return _editor(request, form, trigger, rows, errors=errors, status=400)
    messages.success(request, _("The trigger “%(name)s” was saved.") % {"name": saved.name})
    return redirect("console:automation_triggers")


def _back_to(trigger: Trigger) -> HttpResponse:
    return redirect(reverse("console:automation_triggers") + f"#trigger-{trigger.pk}")


@require_POST
@automation_section
def trigger_move(request: HttpRequest, trigger_id: int) -> HttpResponse:
    found = _found(trigger_id)
    step = -1 if request.POST.get("direction") == "up" else 1
    triggers.move_trigger(found, step, by=current_user(request))
    messages.success(request, _("The order was changed."))
    return _back_to(found)


@require_POST
@automation_section
def trigger_toggle(request: HttpRequest, trigger_id: int) -> HttpResponse:
    found = _found(trigger_id)
    active = request.POST.get("active") == "1"
    triggers.set_trigger_active(found, active, by=current_user(request))
    done = _("The trigger was turned on.") if active else _("The trigger was turned off.")
    messages.success(request, done)
    return _back_to(found)


@require_POST
@automation_section
def trigger_delete(request: HttpRequest, trigger_id: int) -> HttpResponse:
    found = _found(trigger_id)
    triggers.delete_trigger(found, by=current_user(request))
    messages.success(request, _("The trigger “%(name)s” was deleted.") % {"name": found.name})
    return redirect("console:automation_triggers")


def log_page(request: HttpRequest, rows: QuerySet[Any]) -> Any:
    """One page of a log, newest first: `?page=N`."""
    return Paginator(rows, LOG_PAGE).get_page(parse_id(request.GET.get("page", "")) or 1)


@require_GET
@automation_section
def trigger_runs(request: HttpRequest, trigger_id: int) -> HttpResponse:
    found = _found(trigger_id)
    runs = TriggerRun.objects.filter(trigger=found).select_related("ticket")
    page = log_page(request, runs.order_by("-at", "-id"))
    events = dict(TriggerEvent.choices)
    context = console_context(request, "triggers", trigger=found, runs=page, events=events)
    return render(request, "console/automation/trigger_runs.html", context)
