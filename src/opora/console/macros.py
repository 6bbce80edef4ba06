"""The console's Macros section: the macros a person may use, with how often each was
used (so dead ones can be pruned), and creating, editing and deleting them.

Every agent opens it for their personal macros ("My macros", linked from the
composer's picker); team leads also write their teams', admins the shared ones and see
every team's. The permission rules are `automation.macros.may_edit`, as in the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts.models import SupportLine, Team, User
from opora.automation import macros
from opora.automation.models import Macro, MacroOwner
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core.errors import Forbidden, NotFound, OporaError
from opora.pages import PageForm, add_action_error, current_user
from opora.tickets.models import Priority, TicketStatus, TicketType

macros_section = section_required("macros")
BLANK = [("", "—")]


class MacroForm(PageForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    owner_kind = forms.ChoiceField(label=gettext_lazy("Who uses it"), choices=MacroOwner.choices)
    team = forms.TypedChoiceField(
        label=gettext_lazy("Team"), coerce=int, required=False, empty_value=None
    )
    body_en = forms.CharField(
        label=gettext_lazy("Reply in English"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    body_ru = forms.CharField(
        label=gettext_lazy("Reply in Russian"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    status = forms.ChoiceField(label=gettext_lazy("Set status"), required=False)
    priority = forms.ChoiceField(label=gettext_lazy("Set priority"), required=False)
    type = forms.ChoiceField(label=gettext_lazy("Set type"), required=False)
    set_team = forms.TypedChoiceField(
        label=gettext_lazy("Move to team"), coerce=int, required=False, empty_value=None
    )
    line = forms.TypedChoiceField(
        label=gettext_lazy("Set support line"), coerce=int, required=False, empty_value=None
    )
    add_tags = forms.CharField(label=gettext_lazy("Add tags"), required=False, max_length=2000)
    remove_tags = forms.CharField(
        label=gettext_lazy("Remove tags"), required=False, max_length=2000
    )
    assignee = forms.ChoiceField(label=gettext_lazy("Assign to"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = macros.owner_kinds_for(user)
        self._choices("owner_kind", [(k, MacroOwner(k).label) for k in kinds])
        self._choices("team", BLANK + [(t.pk, t.name) for t in macros.teams_for_macros(user)])
        statuses = [(s, TicketStatus(s).label) for s in macros.MACRO_STATUSES]
        self._choices("status", BLANK + statuses)
        self._choices("priority", BLANK + [(p.code, p.label) for p in Priority])
        self._choices("type", BLANK + list(TicketType.choices))
        self._choices("set_team", BLANK + [(t.pk, t.name) for t in Team.objects.order_by("name")])
        self._choices("line", BLANK + list(SupportLine.choices))
        agents = User.objects.filter(is_active=True, role__in=("agent", "admin")).order_by("name")
        people = [(str(a.pk), a.display_name) for a in agents]
        self._choices("assignee", [*BLANK, ("me", _("Me (whoever applies it)")), *people])

    def _choices(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def macro_input(self) -> macros.MacroInput:
        data = self.cleaned_data
        actions: dict[str, Any] = {
            "status": data["status"],
            "priority": data["priority"],
            "type": data["type"],
            "team": data["set_team"],
            "line": data["line"],
            "add_tags": data["add_tags"],
            "remove_tags": data["remove_tags"],
            "assignee": data["assignee"],
        }
        return macros.MacroInput(
            title=data["title"],
            owner_kind=data["owner_kind"],
            team=data["team"],
            body_en=data["body_en"],
            body_ru=data["body_ru"],
            actions={k: v for k, v in actions.items() if v not in (None, "")},
        )


# An action's error names "actions.<key>"; the form shows it at its field.
_ACTION_FIELDS = {"team": "set_team"}


def _show_error(form: MacroForm, exc: OporaError) -> None:
    field = exc.field or ""
    if field.startswith("actions."):
        key = field.removeprefix("actions.")
        exc.field = _ACTION_FIELDS.get(key, key)
    add_action_error(form, exc)


def _initial(macro: Macro) -> dict[str, Any]:
    actions = macro.actions or {}
    return {
        "title": macro.title,
        "owner_kind": macro.owner_kind,
        "team": macro.team_id,
        "body_en": macro.body_en,
        "body_ru": macro.body_ru,
        "status": actions.get("status", ""),
        "priority": actions.get("priority", ""),
        "type": actions.get("type", ""),
        "set_team": actions.get("team"),
        "line": actions.get("line"),
        "add_tags": " ".join(actions.get("add_tags") or []),
        "remove_tags": " ".join(actions.get("remove_tags") or []),
        "assignee": str(actions.get("assignee", "")),
    }


@macros_section
def macro_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    rows = macros.visible_macros(user).order_by("owner_kind", "title", "id")
    if request.GET.get("sort") == "usage":
        rows = rows.order_by("usage_count", "last_used_at", "title")
    items = [(m, macros.may_edit_macro(user, m)) for m in rows]
    context = console_context(
        request, "macros", items=items, sort=request.GET.get("sort", ""), usage=True
    )
    return render(request, "console/macros.html", context)


@require_http_methods(["GET", "POST"])
@macros_section
def macro_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = MacroForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            macros.create_macro(form.macro_input(), by=user)
        except OporaError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:macros")
    status = 400 if request.method == "POST" else 200
    context = console_context(request, "macros", form=form, macro=None, placeholders=_hints())
    return render(request, "console/macro.html", context, status=status)


@require_http_methods(["GET", "POST"])
@macros_section
def macro_edit(request: HttpRequest, macro_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = macros.access_macro_for_edit(user, macro_id)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        return forbidden(request)
    form = MacroForm(request.POST or None, user=user, initial=_initial(found))
    if request.method == "POST" and form.is_valid():
        try:
            macros.update_macro(found, form.macro_input(), by=user)
        except OporaError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:macros")
    status = 400 if request.method == "POST" else 200
    context = console_context(request, "macros", form=form, macro=found, placeholders=_hints())
    return render(request, "console/macro.html", context, status=status)


@require_POST
@macros_section
def macro_delete(request: HttpRequest, macro_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = macros.access_macro_for_edit(user, macro_id)
    except NotFound:
        raise Http404 from None
    except Forbidden:
        return forbidden(request)
    macros.delete_macro(found, by=user)
    messages.success(request, _("Deleted."))
    return redirect("console:macros")


def _hints() -> list[str]:
    return ["{{" + p + "}}" for p in macros.PLACEHOLDERS] + ["{{kb.<id>}}"]
