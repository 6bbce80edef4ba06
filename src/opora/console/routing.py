"""The console's Routing section: a team's routing settings, and its agents' load now.

Admins see every team, team leads their own (`automation.routing.access_team_routing`,
as in the API). The load page polls its own fragment every 5 s while it is in view, so
a lead sees presence and load change without reloading.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from opora.accounts.models import Team, User
from opora.automation import routing
from opora.automation.models import RoutingStrategy
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core.errors import Forbidden, OporaError
from opora.core.numbers import parse_id
from opora.pages import PageForm, add_action_error, current_user
from opora.sla.models import BusinessCalendar

routing_section = section_required("routing")


class RoutingForm(PageForm):
    strategy = forms.ChoiceField(label=gettext_lazy("Strategy"), choices=RoutingStrategy.choices)
    max_email = forms.IntegerField(
        label=gettext_lazy("Open tickets per agent: e-mail and portal"),
        min_value=0,
        max_value=routing.MAX_LIMIT,
    )
    max_chat = forms.IntegerField(
        label=gettext_lazy("Open tickets per agent: chat"), min_value=0, max_value=routing.MAX_LIMIT
    )
    max_messengers = forms.IntegerField(
        label=gettext_lazy("Open tickets per agent: messengers"),
        min_value=0,
        max_value=routing.MAX_LIMIT,
    )
    respect_line = forms.BooleanField(
        label=gettext_lazy("Only agents of the ticket's support line"), required=False
    )
    respect_hours = forms.BooleanField(label=gettext_lazy("Only in business hours"), required=False)
    calendar = forms.TypedChoiceField(
        label=gettext_lazy("Calendar"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("None chosen: the default calendar."),
    )
    reassign_after = forms.IntegerField(
        label=gettext_lazy("Reassign waiting work after the assignee is offline (minutes)"),
        min_value=1,
        max_value=routing.MAX_REASSIGN_MINUTES,
        required=False,
        help_text=gettext_lazy("Empty: never."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        calendar = self.fields["calendar"]
        assert isinstance(calendar, forms.TypedChoiceField)
        calendar.choices = [("", "—")] + [
            (pk, name) for pk, name in BusinessCalendar.objects.values_list("pk", "name")
        ]


def _team(request: HttpRequest, user: User) -> tuple[list[Team], Team | None]:
    teams = routing.teams_for_routing(user)
    chosen = parse_id(request.GET.get("team", ""))
    team = next((t for t in teams if t.pk == chosen), teams[0] if teams else None)
    return teams, team


@require_http_methods(["GET", "POST"])
@routing_section
def routing_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    try:
        teams, team = _team(request, user)
    except Forbidden:
        return forbidden(request)
    if team is None:
        return forbidden(request)
    current = routing.settings_of(team.pk)
    status = 200
    if request.method == "POST":
        form = RoutingForm(request.POST)
        if form.is_valid():
            try:
                routing.configure_routing(
                    by=user, team_id=team.pk, values=routing.RoutingInput(**form.cleaned_data)
                )
            except OporaError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(f"{request.path}?team={team.pk}")
        status = 400
    else:
        form = RoutingForm(
            initial={name: getattr(current, name) for name in routing.SETTINGS_FIELDS}
            | {"calendar": current.calendar_id}
        )
    context = console_context(request, "routing", form=form, teams=teams, team=team)
    return render(request, "console/routing.html", context, status=status)


@require_GET
@routing_section
def load_page(request: HttpRequest) -> HttpResponse:
    """The team's agents now; `?fragment=1` is the part the page polls every 5 s."""
    user = current_user(request)
    try:
        teams, team = _team(request, user)
    except Forbidden:
        return forbidden(request)
    if team is None:
        return forbidden(request)
    load = routing.team_load(team.pk)
    if request.GET.get("fragment"):
        return render(request, "console/_team_load.html", {"load": load, "team": team})
    context = console_context(request, "routing_load", teams=teams, team=team, load=load)
    return render(request, "console/team_load.html", context)
