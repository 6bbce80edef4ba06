"""Single sign-on settings for admins (`/agent/sso`): which provider groups work at the
desk, with which role, support line and teams; and what to register at the provider."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts import oidc
from opora.accounts.models import Role, SsoGroupMapping, SupportLine, Team, User
from opora.core.errors import NotFound, OporaError
from opora.pages import PageForm, add_action_error, agent_required, current_user

ROLES = [(Role.AGENT.value, Role.AGENT.label), (Role.ADMIN.value, Role.ADMIN.label)]


class MappingForm(PageForm):
    group = forms.CharField(label=_lazy("Group at the provider"), max_length=255)
    role = forms.ChoiceField(label=_lazy("Role"), choices=ROLES)
    support_line = forms.TypedChoiceField(
        label=_lazy("Support line"),
        choices=[("", _lazy("not set")), *SupportLine.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    teams = forms.ModelMultipleChoiceField(
        label=_lazy("Teams"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _admin(request: HttpRequest) -> User:
    user = current_user(request)
    if not user.is_admin:
        raise Http404(_("Only administrators change single sign-on."))
    return user


def _initial(mapping: SsoGroupMapping) -> dict[str, Any]:
    return {
        "group": mapping.group,
        "role": mapping.role,
        "support_line": mapping.support_line,
        "teams": [t.pk for t in mapping.teams.all()],
    }


def _page(
    request: HttpRequest,
    user: User,
    form: MappingForm,
    editing: SsoGroupMapping | None,
    status: int = 200,
) -> HttpResponse:
    config = oidc.provider()
    return render(
        request,
        "agent/sso.html",
        {
            "nav": "sso",
            "config": config,
            "callback_url": settings.BASE_URL.rstrip("/") + reverse("signin-oidc-callback"),
            "mappings": oidc.group_mappings(user),
            "form": form,
            "editing": editing,
        },
        status=status,
    )


def _editing(user: User, mapping_id: int | None) -> SsoGroupMapping | None:
    if mapping_id is None:
        return None
    try:
        return oidc.access_group_mapping(user, mapping_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@require_http_methods(["GET", "POST"])
@agent_required
def settings_page(request: HttpRequest, mapping_id: int | None = None) -> HttpResponse:
    user = _admin(request)
    editing = _editing(user, mapping_id)
    if request.method == "GET":
        form = MappingForm(initial=_initial(editing) if editing else {"role": Role.AGENT})
        return _page(request, user, form, editing)
    form = MappingForm(request.POST)
    if not form.is_valid():
        return _page(request, user, form, editing, status=422)
    data = form.cleaned_data
    try:
        saved = oidc.save_group_mapping(
            editing,
            oidc.MappingFields(
                group=data["group"],
                role=data["role"],
                support_line=data["support_line"],
                team_ids=[t.pk for t in data["teams"]],
            ),
            by=user,
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _page(request, user, form, editing, status=exc.status)
    messages.success(request, _("The group “%(group)s” is saved.") % {"group": saved.group})
    return redirect("agent:sso")


@require_POST
@agent_required
def delete_mapping(request: HttpRequest, mapping_id: int) -> HttpResponse:
    user = _admin(request)
    mapping = _editing(user, mapping_id)
    assert mapping is not None
    oidc.delete_group_mapping(mapping, by=user)
    messages.success(request, _("The group “%(group)s” is removed.") % {"group": mapping.group})
    return redirect("agent:sso")
