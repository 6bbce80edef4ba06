"""The admin console's directory: customers (edit, block, merge), organizations and
teams (the People section's admin-only pages)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts import actions
from opora.accounts import people as people_actions
from opora.accounts.merging import merge_customers
from opora.accounts.models import Language, Organization, Role, Team, User
from opora.accounts.selectors import (
    access_customer,
    access_organization,
    access_team,
    customer_directory,
    possible_duplicates,
)
from opora.console.context import console_context
from opora.console.people import (
    _admin_only,
    _page,
    _query,
    _split,
    people_section,
)
from opora.core.errors import Forbidden, NotFound, OporaError
from opora.core.numbers import parse_id
from opora.pages import PageForm, add_action_error, current_user, not_found_as_404


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
