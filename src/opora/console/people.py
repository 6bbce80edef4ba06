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

from opora.accounts import actions, invitations
from opora.accounts import people as people_actions
from opora.accounts.merging import merge_customers
from opora.accounts.models import Invitation, Language, Organization, Role, SupportLine, Team, User
from opora.accounts.oidc import provider
from opora.accounts.selectors import (
    access_agent,
    access_customer,
    access_organization,
    access_team,
    agent_directory,
    customer_directory,
    possible_duplicates,
)
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core.errors import Forbidden, NotFound, OporaError
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


class CustomerForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    organization = forms.ChoiceField(label=gettext_lazy("Organization"), required=False)
    notify_by_email = forms.BooleanField(
        label=gettext_lazy("E-mail them when their request is answered"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("No organization"))] + [
            (str(o.pk), o.name) for o in Organization.objects.order_by("name")
        ]


@require_GET
@people_section
def customers(request: HttpRequest) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    chosen = {"q": request.GET.get("q", "")[:100], "blocked": request.GET.get("blocked", "")}
    found = customer_directory(
        current_user(request),
        q=chosen["q"],
        blocked={"yes": True, "no": False}.get(chosen["blocked"]),
    )
    context = console_context(
        request, "customers", found=_page(request, found), chosen=chosen, query=_query(request)
    )
    return render(request, "console/people_customers.html", context)


def _customer(request: HttpRequest, customer_id: int) -> User:
    try:
        return access_customer(current_user(request), customer_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _customer_page(
    request: HttpRequest, customer: User, form: CustomerForm, *, status: int = 200
) -> HttpResponse:
    context = console_context(
        request,
        "customers",
        customer=customer,
        form=form,
        duplicates=possible_duplicates(current_user(request), customer),
    )
    return render(request, "console/people_customer.html", context, status=status)


@require_http_methods(["GET", "POST"])
@people_section
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    customer = _customer(request, customer_id)
    if request.method == "GET":
        form = CustomerForm(
            initial={
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "language": customer.language,
                "organization": str(customer.organization_id or ""),
                "notify_by_email": customer.notify_by_email,
            }
        )
        return _customer_page(request, customer, form)
    form = CustomerForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, customer, form, status=400)
    data = form.cleaned_data
    organization = parse_id(data["organization"] or "")
    try:
        people_actions.update_customer(
            customer,
            people_actions.CustomerDetails(
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                language=data["language"],
                organization=organization,
                clear_organization=organization is None,
                notify_by_email=data["notify_by_email"],
            ),
            by=current_user(request),
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _customer_page(request, customer, form, status=400)
    messages.success(request, _("Saved."))
    return redirect("console:people_customer", customer.pk)


@require_POST
@people_section
def customer_block(request: HttpRequest, customer_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    customer = _customer(request, customer_id)
    blocked = request.POST.get("blocked") == "1"
    people_actions.set_customer_blocked(customer, blocked=blocked, by=current_user(request))
    messages.success(
        request, _("The customer is blocked.") if blocked else _("The customer is unblocked.")
    )
    return redirect("console:people_customer", customer.pk)


@require_POST
@people_section
def customer_merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Merge the picked duplicate into this customer (through `merge_customers`)."""
    if refused := _admin_only(request):
        return refused
    user = current_user(request)
    keep = _customer(request, customer_id)
    duplicate_id = parse_id(request.POST.get("duplicate", ""))
    try:
        if duplicate_id is None:
            raise NotFound(_("customer"))
        drop = access_customer(user, duplicate_id)
        merge_customers(keep, drop, by=user)
    except (NotFound, Forbidden) as exc:
        messages.error(request, exc.message)
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The duplicate was merged into this customer."))
    return redirect("console:people_customer", keep.pk)


# Organizations


class OrganizationForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    domains = forms.CharField(
        label=gettext_lazy("E-mail domains"),
        required=False,
        max_length=5000,
        help_text=gettext_lazy(
            "Separated by commas. New customers from these domains join the organization."
        ),
    )
    shared_tickets = forms.BooleanField(
        label=gettext_lazy("Members see each other's tickets"), required=False
    )
    vip = forms.BooleanField(label=gettext_lazy("VIP"), required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def details(self) -> people_actions.OrganizationDetails:
        data = self.cleaned_data
        return people_actions.OrganizationDetails(
            name=data["name"],
            domains=_split(data["domains"]),
            shared_tickets=data["shared_tickets"],
            notes=data["notes"],
            vip=data["vip"],
        )


def _organizations_page(
    request: HttpRequest, form: OrganizationForm, *, status: int = 200
) -> HttpResponse:
    rows = Organization.objects.prefetch_related("domains").order_by("name")
    context = console_context(request, "organizations", rows=rows, form=form)
    return render(request, "console/people_organizations.html", context, status=status)


@require_http_methods(["GET", "POST"])
@people_section
def organizations(request: HttpRequest) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    if request.method == "GET":
        return _organizations_page(request, OrganizationForm())
    form = OrganizationForm(request.POST)
    if not form.is_valid():
        return _organizations_page(request, form, status=400)
    user = current_user(request)
    details = form.details()
    try:
        org = actions.create_organization(
            name=details.name or "",
            by=user,
            domains=details.domains or (),
            shared_tickets=bool(details.shared_tickets),
        )
        if details.notes or details.vip:
            people_actions.update_organization(
                org,
                people_actions.OrganizationDetails(notes=details.notes, vip=details.vip),
                by=user,
            )
    except OporaError as exc:
        add_action_error(form, exc)
        return _organizations_page(request, form, status=400)
    messages.success(request, _("The organization was added."))
    return redirect("console:people_organizations")


def _organization(request: HttpRequest, organization_id: int) -> Organization:
    try:
        return access_organization(current_user(request), organization_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_http_methods(["GET", "POST"])
@people_section
def organization_edit(request: HttpRequest, organization_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    org = _organization(request, organization_id)
    if request.method == "GET":
        form = OrganizationForm(
            initial={
                "name": org.name,
                "domains": ", ".join(org.domains.values_list("domain", flat=True)),
                "shared_tickets": org.shared_tickets,
                "vip": org.vip,
                "notes": org.notes,
            }
        )
    else:
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                people_actions.update_organization(org, form.details(), by=current_user(request))
            except OporaError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("console:people_organization", org.pk)
    context = console_context(
        request, "organizations", organization=org, form=form, members=org.members.count()
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "console/people_organization.html", context, status=status)


@require_POST
@people_section
def organization_delete(request: HttpRequest, organization_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    org = _organization(request, organization_id)
    try:
        people_actions.delete_organization(org, by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
        return redirect("console:people_organization", org.pk)
    messages.success(request, _("The organization was deleted."))
    return redirect("console:people_organizations")


# Teams


class TeamForm(PageForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    email = forms.CharField(label=gettext_lazy("Reply address"), max_length=254, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    members = forms.MultipleChoiceField(
        label=gettext_lazy("Members"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (str(u.pk), u.display_name)
            for u in User.objects.filter(
                role__in=(Role.AGENT, Role.ADMIN), is_active=True
            ).order_by("name", "email")
        ]

    def details(self) -> people_actions.TeamDetails:
        data = self.cleaned_data
        return people_actions.TeamDetails(
            name=data["name"],
            email=data["email"],
            description=data["description"],
            members=[int(m) for m in data["members"]],
        )


def _teams_page(request: HttpRequest, form: TeamForm, *, status: int = 200) -> HttpResponse:
    rows = Team.objects.prefetch_related("members").order_by("name")
    context = console_context(request, "teams", rows=rows, form=form)
    return render(request, "console/people_teams.html", context, status=status)


@require_http_methods(["GET", "POST"])
@people_section
def teams(request: HttpRequest) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    if request.method == "GET":
        return _teams_page(request, TeamForm())
    form = TeamForm(request.POST)
    if not form.is_valid():
        return _teams_page(request, form, status=400)
    details = form.details()
    try:
        actions.create_team(
            name=details.name or "",
            by=current_user(request),
            email=details.email or "",
            description=details.description or "",
            members=details.members or (),
        )
    except OporaError as exc:
        add_action_error(form, exc)
        return _teams_page(request, form, status=400)
    messages.success(request, _("The team was added."))
    return redirect("console:people_teams")


def _team(request: HttpRequest, team_id: int) -> Team:
    try:
        return access_team(current_user(request), team_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


@require_http_methods(["GET", "POST"])
@people_section
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    team = _team(request, team_id)
    if request.method == "GET":
        form = TeamForm(
            initial={
                "name": team.name,
                "email": team.email,
                "description": team.description,
                "members": [str(pk) for pk in team.members.values_list("pk", flat=True)],
            }
        )
    else:
        form = TeamForm(request.POST)
        if form.is_valid():
            try:
                people_actions.update_team(team, form.details(), by=current_user(request))
            except OporaError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("console:people_team", team.pk)
    context = console_context(request, "teams", team=team, form=form)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/people_team.html", context, status=status)


@require_POST
@people_section
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    if refused := _admin_only(request):
        return refused
    team = _team(request, team_id)
    try:
        people_actions.delete_team(team, by=current_user(request))
    except OporaError as exc:
        messages.error(request, exc.message)
        return redirect("console:people_team", team.pk)
    messages.success(request, _("The team was deleted."))
    return redirect("console:people_teams")
