""" "New ticket": an agent opens a ticket for a customer who called, came by or wrote.

The requester is a known customer (the type-ahead over `people_search`) or a new one
(name plus e-mail and/or phone). Everything the form asks for is written in one
transaction through `tickets.actions.create_ticket` (and `update_ticket` for the
assignee, which `create_ticket` does not take): a refusal leaves no ticket, no new
customer and no identity behind, and the form comes back filled with the reason.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from opora.accounts.identities import Contact, add_identity, clean_phone, requester_for
from opora.accounts.models import Identity, IdentityKind, Role, Team, User
from opora.accounts.selectors import access_customer, search_people
from opora.agent.forms import INTAKE, NewTicketForm
from opora.core.errors import NotFound, OporaError, ValidationFailed
from opora.crm.actions import check_new_ticket_fields
from opora.crm.selectors import posted_type_values, ticket_forms, type_form_inputs
from opora.pages import agent_required, current_user, incoming_files
from opora.tickets import actions
from opora.tickets import errors as ticket_errors
from opora.tickets.models import Ticket

# Where an action's refusal shows on this form (the action's field → the form's).
FIELD_OF = {
    "requester": "new_email",
    "email": "new_email",
    "value": "new_phone",
    "body": "body",
    "subject": "subject",
    "team": "team",
    "assignee": "assignee",
    "tags": "tags",
    "priority": "priority",
    "type": "type",
    "channel": "channel",
}


def team_assignees(teams: list[Team] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Who may be assigned a ticket of each team ("" for a ticket in no team): the
    members who are active agents. The pages offer only these, and the script narrows
    the assignee list as the team changes (`update_ticket` checks the same rule).
    `teams`: every team, when the page has read them already."""
    agents = list(
        User.objects.filter(role__in=(Role.AGENT, Role.ADMIN), is_active=True)
        .only("id", "name", "email")
        .prefetch_related("teams")
        .order_by("name", "id")
    )
    choices: dict[str, list[dict[str, Any]]] = {"": []}
    for team in teams if teams is not None else Team.objects.order_by("name"):
        choices[str(team.pk)] = []
    for agent in agents:
        entry = {"id": agent.pk, "name": agent.display_name}
        choices[""].append(entry)
        for team in agent.teams.all():
            choices.setdefault(str(team.pk), []).append(entry)
    return choices


def person_json(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "name": user.display_name,
        "email": user.email if not user.email.endswith(".invalid") else "",
        "phone": user.phone,
        "organization": user.organization.name if user.organization else "",
        "role": user.role,
    }


@require_GET
@agent_required
def people_search(request: HttpRequest) -> JsonResponse:
    """The type-ahead: customers (and, with ?agents=1, agents) by name, e-mail or phone."""
    roles: tuple[str, ...] = (Role.CUSTOMER,)
    if request.GET.get("agents") == "1":
        roles = (Role.CUSTOMER, Role.AGENT, Role.ADMIN)
    found = search_people(current_user(request), request.GET.get("q", "")[:100], roles=roles)
    return JsonResponse({"items": [person_json(u) for u in found]})


def _requester(form: NewTicketForm, by: User) -> User | str:
    """The known customer picked, or the new one (created inside the caller's transaction)."""
    data = form.cleaned_data
    if data["who"] == "existing":
        try:
            return access_customer(by, data["requester"])
        except NotFound:
            raise ValidationFailed(
                ticket_errors.UNKNOWN_REQUESTER, _("No such customer."), field="requester_label"
            ) from None
    name = data["new_name"].strip()
    email = (data["new_email"] or "").strip()
    phone = clean_phone(data["new_phone"] or "")
    if email:
        return email  # create_ticket finds or creates the person by address
    return requester_for(Contact(kind=IdentityKind.PHONE, value=phone, name=name, phone=phone))


def _remember_phone(requester: User, phone: str, *, by: User) -> None:
    """A new customer given by e-mail and phone: the phone is recorded too (refused,
    with the rest, when it belongs to someone else)."""
    if not phone:
        return
    if Identity.objects.filter(kind=IdentityKind.PHONE, value=phone, user=requester).exists():
        return
    add_identity(requester, kind=IdentityKind.PHONE, value=phone, by=by)


def open_ticket(form: NewTicketForm, request: HttpRequest, *, by: User) -> Ticket:
    """Everything the form holds, in one transaction: all of it or nothing."""
    data = form.cleaned_data
    values = posted_type_values(ticket_forms(), data["type"] or "question", request.POST)
    custom = check_new_ticket_fields(data["type"] or "question", values)
    channel, intake_tag = INTAKE[data["channel"]]
    tags = form.tag_list() + ([intake_tag] if intake_tag else [])
    team = None
    if data.get("team"):
        team = Team.objects.filter(pk=data["team"]).first()
        if team is None:
            raise ValidationFailed(ticket_errors.UNKNOWN_TEAM, _("No such team."), field="team")
    with transaction.atomic():
        requester = _requester(form, by)
        ticket = actions.create_ticket(
            requester=requester,
            requester_name=data.get("new_name", "").strip(),
            subject=data["subject"],
            body=data["body"],
            by=by,
            channel=channel,
            priority=data["priority"],
            type=data["type"],
            tags=tags,
            team=team,
            attachments=incoming_files(request),
            custom_fields=custom,
        )
        if data["who"] == "new" and data["new_email"]:
            _remember_phone(ticket.requester, clean_phone(data["new_phone"] or ""), by=by)
        if data.get("assignee"):
            ticket = actions.update_ticket(
                ticket, actions.TicketChanges(assignee=data["assignee"]), by=by
            )
    return ticket


def _page(
    request: HttpRequest,
    form: NewTicketForm,
    *,
    status: int = 200,
    field_errors: dict[str, str] | None = None,
) -> HttpResponse:
    team = str(form["team"].value() or "")
    forms = ticket_forms()
    chosen = str(form["type"].value() or "question")
    posted = {chosen: posted_type_values(forms, chosen, request.POST)} if request.POST else {}
    assignees = team_assignees()
    context = {
        "form": form,
        "nav": "queue",
        "teams": list(Team.objects.order_by("name")),
        "assignee_choices": assignees,
        "assignees": assignees.get(team, []),
        "selected_team": team,
        "selected_assignee": str(form["assignee"].value() or ""),
        "type_forms": type_form_inputs(
            forms, chosen, posted, translation.get_language() or "en", field_errors or {}
        ),
    }
    return render(request, "agent/new_ticket.html", context, status=status)


@require_http_methods(["GET", "POST"])
@agent_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "GET":
        return _page(request, NewTicketForm())
    form = NewTicketForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        ticket = open_ticket(form, request, by=user)
    except OporaError as exc:
        if exc.field and exc.field.startswith("custom_fields."):
            form.add_error(None, exc.message)
            key = exc.field.removeprefix("custom_fields.")
            return _page(request, form, status=422, field_errors={key: exc.message})
        field = FIELD_OF.get(exc.field or "", exc.field or "")
        if field == "new_email" and form.cleaned_data["who"] == "existing":
            field = "requester_label"
        form.add_error(field if field in form.fields else None, exc.message)
        return _page(request, form, status=422)
    return redirect("agent:ticket", number=ticket.number)
