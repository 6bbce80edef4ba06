"""The people section of the console: agents, invitations, customers, organizations
and teams, for administrators; a team lead sees the agents of their teams, read-only.

Thin views: parse → `access_*` → one action → redirect or render. The API
(`api/accounts.py`) calls the same actions; errors are shown beside their field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts import invitations
from opora.accounts import people as people_actions
from opora.accounts.models import Invitation, Language, Role, SupportLine, Team, User
from opora.accounts.oidc import provider
from opora.accounts.selectors import (
    access_agent,
    agent_directory,
)
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core.errors import NotFound, OporaError
from opora.core.numbers import parse_id, parse_int
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404
from opora.portal.auth import complete_sign_in

PAGE_SIZE = 50
people_section = section_required("people")


def _admin_only(request: HttpRequest) -> HttpResponse | None:
    """Team leads open the section for the agents list; everything else is admins'."""
    return None if current_user(request).is_admin else forbidden(request)


def _page(request: HttpRequest, found: Any) -> Any:
    number = parse_int(request.GET.get("page", ""), minimum=1, maximum=100_000) or 1
    return Paginator(found, PAGE_SIZE).get_page(number)


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _team_choices() -> list[tuple[str, str]]:
    return [(str(t.pk), t.name) for t in Team.objects.order_by("name")]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


# Agents


class AgentForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[(Role.AGENT.value, Role.AGENT.label), (Role.ADMIN.value, Role.ADMIN.label)],
    )
    support_line = forms.TypedChoiceField(
        label=gettext_lazy("Support line"), choices=SupportLine.choices, coerce=int
    )
    is_team_lead = forms.BooleanField(label=gettext_lazy("Team lead"), required=False)
    teams = forms.MultipleChoiceField(
        label=gettext_lazy("Teams"), required=False, widget=forms.CheckboxSelectMultiple
    )
    skills = forms.CharField(
        label=gettext_lazy("Skills"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Free tags, separated by commas."),
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cost_per_hour = forms.DecimalField(
        label=gettext_lazy("Cost per hour"), min_value=0, max_digits=10, decimal_places=2
    )
    time_zone = forms.CharField(label=gettext_lazy("Time zone"), max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["teams"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _team_choices()

    def details(self) -> people_actions.AgentDetails:
        data = self.cleaned_data
        return people_actions.AgentDetails(
            name=data["name"],
            email=data["email"],
            role=data["role"],
            support_line=data["support_line"],
            is_team_lead=data["is_team_lead"],
            teams=[int(t) for t in data["teams"]],
            skills=_split(data["skills"]),
            languages=data["languages"],
            cost_per_hour=data["cost_per_hour"],
            time_zone=data["time_zone"],
        )


def _agent_initial(agent: User) -> dict[str, Any]:
    return {
        "name": agent.name,
        "email": agent.email,
        "role": agent.role,
        "support_line": agent.support_line or 1,
        "is_team_lead": agent.is_team_lead,
        "teams": [str(pk) for pk in agent.teams.values_list("pk", flat=True)],
        "skills": ", ".join(agent.skills or []),
        "languages": list(agent.languages or []),
        "cost_per_hour": agent.cost_per_hour,
        "time_zone": agent.time_zone,
    }


@require_GET
@people_section
def agents(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    active = {"yes": True, "no": False}.get(request.GET.get("active", "yes"))
    chosen = {
        "q": request.GET.get("q", "")[:100],
        "role": request.GET.get("role", ""),
        "line": request.GET.get("line", ""),
        "team": request.GET.get("team", ""),
        "active": request.GET.get("active", "yes"),
    }
    found = agent_directory(
        user,
        q=chosen["q"],
        role=chosen["role"] or None,
        line=parse_int(chosen["line"], minimum=1, maximum=3),
        team=parse_id(chosen["team"]),
        active=active,
    )
    context = console_context(
        request,
        "agents",
        found=_page(request, found),
        chosen=chosen,
        teams=_team_choices(),
        lines=SupportLine.choices,
        query=_query(request),
        may_edit=user.is_admin,
    )
    return render(request, "console/people_agents.html", context)


def _agent_page(
    request: HttpRequest, form: AgentForm, agent: User | None, *, status: int = 200
) -> HttpResponse:
    user = current_user(request)
    if not user.is_admin:
        for field in form.fields.values():
            field.disabled = True
    context = console_context(request, "agents", form=form, agent=agent, may_edit=user.is_admin)
    return render(request, "console/people_agent.html", context, status=status)


@require_http_methods(["GET", "POST"])
@people_section
def agent_new(request: HttpRequest) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    if request.method == "GET":
        form = AgentForm(
            initial={"role": Role.AGENT, "support_line": 1, "cost_per_hour": 0, "time_zone": "UTC"}
        )
        return _agent_page(request, form, None)
    form = AgentForm(request.POST)
    if not form.is_valid():
        return _agent_page(request, form, None, status=400)
    try:
        agent = people_actions.create_agent(
            email=form.cleaned_data["email"], by=current_user(request), details=form.details()
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _agent_page(request, form, None, status=400)
    messages.success(request, _("The agent was added. Invite them to set a password."))
    return redirect("console:people_agent", agent.pk)


def _agent(request: HttpRequest, agent_id: int) -> User:
    try:
        return access_agent(current_user(request), agent_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_http_methods(["GET", "POST"])
@people_section
def agent_edit(request: HttpRequest, agent_id: int) -> HttpResponse:
    agent = _agent(request, agent_id)
    if request.method == "GET":
        return _agent_page(request, AgentForm(initial=_agent_initial(agent)), agent)
    if refused := _admin_only(request):
        return refused
    form = AgentForm(request.POST)
    if not form.is_valid():
        return _agent_page(request, form, agent, status=400)
    try:
        people_actions.update_agent(agent, form.details(), by=current_user(request))
    except OporaError as exc:
        add_action_error(form, exc)
        return _agent_page(request, form, agent, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:people_agent", agent.pk)


@require_http_methods(["GET", "POST"])
@people_section
def agent_deactivate(request: HttpRequest, agent_id: int) -> HttpResponse:
    """The confirmation step: who gets the open tickets (an agent, or the team queue)."""
    if refused := _admin_only(request):
        return refused
    agent = _agent(request, agent_id)
    others = agent_directory(current_user(request), active=True).exclude(pk=agent.pk)
    error = ""
    if request.method == "POST":
        target_id = parse_id(request.POST.get("reassign_to", ""))
        target = others.filter(pk=target_id).first() if target_id else None
        try:
            people_actions.deactivate_agent(agent, by=current_user(request), reassign_to=target)
        except OporaError as exc:
            error = exc.message
        else:
            messages.success(request, _("The agent was deactivated."))
            return redirect("console:people_agent", agent.pk)
    context = console_context(request, "agents", agent=agent, others=others, error=error)
    status = 400 if error else 200
    return render(request, "console/people_deactivate.html", context, status=status)


@require_POST
@people_section
def agent_reactivate(request: HttpRequest, agent_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    agent = _agent(request, agent_id)
    try:
        people_actions.reactivate_agent(agent, by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The agent can sign in again."))
    return redirect("console:people_agent", agent.pk)


# Invitations


class InviteForm(PageForm):
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[(Role.AGENT.value, Role.AGENT.label), (Role.ADMIN.value, Role.ADMIN.label)],
    )
    support_line = forms.TypedChoiceField(
        label=gettext_lazy("Support line"), choices=SupportLine.choices, coerce=int
    )
    teams = forms.MultipleChoiceField(
        label=gettext_lazy("Teams"), required=False, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["teams"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _team_choices()


def _invitations_page(request: HttpRequest, form: InviteForm, *, status: int = 200) -> HttpResponse:
    rows = [
        (i, invitations.state_of(i).value)
        for i in invitations.pending_invitations().select_related("invited_by")
    ]
    context = console_context(request, "invitations", rows=rows, form=form)
    return render(request, "console/people_invitations.html", context, status=status)


@require_http_methods(["GET", "POST"])
@people_section
def invitation_list(request: HttpRequest) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    user = current_user(request)
    if request.method == "GET":
        return _invitations_page(
            request, InviteForm(initial={"support_line": 1, "language": user.language})
        )
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _invitations_page(request, form, status=400)
    data = form.cleaned_data
    try:
        invitations.invite(
            email=data["email"],
            by=user,
            name=data["name"],
            role=data["role"],
            support_line=data["support_line"],
            teams=[int(t) for t in data["teams"]],
            language=data["language"],
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _invitations_page(request, form, status=400)
    messages.success(request, _("The invitation was sent."))
    return redirect("console:people_invitations")


def _invitation(request: HttpRequest, invitation_id: int) -> Invitation:
    try:
        return invitations.access_invitation(current_user(request), invitation_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_POST
@people_section
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    try:
        invitations.resend(_invitation(request, invitation_id), by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation was sent again."))
    return redirect("console:people_invitations")


@require_POST
@people_section
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    try:
        invitations.revoke(_invitation(request, invitation_id), by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation was revoked."))
    return redirect("console:people_invitations")


class AcceptForm(PageForm):
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's link: set a password (or sign in with single sign-on); a used,
    revoked or expired link answers a page that says so."""
    invitation, state = invitations.invitation_for_token(token[:200])
    context: dict[str, Any] = {"invitation": invitation, "state": state, "sso": provider()}
    if invitation is None:
        return render(request, "console/people_accept.html", context, status=404)
    if state != invitations.State.PENDING:
        return render(request, "console/people_accept.html", context, status=410)
    form = AcceptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.accept(token, password=form.cleaned_data["password1"])
        except OporaError as exc:
            add_action_error(form, exc, default_field="password1")
        else:
            return redirect(complete_sign_in(request, user, reverse("agent:queue")))
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "console/people_accept.html", context, status=status)


# Customers
