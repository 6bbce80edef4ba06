"""Customer records on the agent's pages: the custom fields, tags, notes, lifetime
stats and contract of a customer or an organization, and a ticket's field values.

Thin views: parse → `access_*` → one action → redirect back (an error is shown with a
message on the page it came from, nothing written).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opora.accounts.models import Organization, User
from opora.core.errors import NotFound, OporaError
from opora.crm import actions, selectors
from opora.crm.models import Target
from opora.pages import agent_required, current_user, not_found_as_404
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket


def record_context(
    viewer: User, *, customer: User | None = None, org: Organization | None = None
) -> dict[str, Any]:
    """What the record card shows: a bounded number of queries (fields, stats, notes,
    contract)."""
    record: Any = customer if customer is not None else org
    target = Target.CUSTOMER if customer is not None else Target.ORGANIZATION
    language = translation.get_language() or "en"
    defs = selectors.definitions(target)
    values = record.custom_fields or {}
    return {
        "record_fields": selectors.shown_fields(defs, values, language),
        "record_inputs": selectors.field_inputs(defs, values, language),
        "record_tags": list(record.tags or []),
        "record_stats": selectors.lifetime(customer=customer, org=org),
        "record_notes": selectors.notes_of(viewer, customer=customer, org=org),
        "record_contract": selectors.contract_of(customer=customer, org=org),
        "record_is_admin": viewer.is_admin,
    }


def ticket_fields_context(viewer: User, ticket: Ticket) -> dict[str, Any]:
    language = translation.get_language() or "en"
    defs = selectors.definitions(Target.TICKET)
    form = selectors.ticket_form(ticket.type)
    values = ticket.custom_fields or {}
    return {
        "ticket_fields": selectors.shown_fields(defs, values, language, required=form.required),
        "ticket_field_inputs": selectors.field_inputs(
            defs, values, language, required=form.required
        ),
    }


def _customer(viewer: User, user_id: int) -> User:
    try:
        return selectors.access_customer(viewer, user_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _organization(viewer: User, organization_id: int) -> Organization:
    try:
        return selectors.access_organization(viewer, organization_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _done(request: HttpRequest, message: str, fn: Any) -> None:
    try:
        fn()
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)


@require_POST
@agent_required
def customer_fields(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    customer = _customer(viewer, user_id)
    defs = selectors.definitions(Target.CUSTOMER)
    values = selectors.posted_values(defs, request.POST)
    _done(request, _("Saved."), lambda: actions.set_customer_fields(customer, values, by=viewer))
    return redirect("agent:customer", user_id=customer.pk)


@require_POST
@agent_required
def organization_fields(request: HttpRequest, organization_id: int) -> HttpResponse:
    viewer = current_user(request)
    org = _organization(viewer, organization_id)
    defs = selectors.definitions(Target.ORGANIZATION)
    values = selectors.posted_values(defs, request.POST)
    _done(request, _("Saved."), lambda: actions.set_organization_fields(org, values, by=viewer))
    return redirect("agent:organization", organization_id=org.pk)


def _tags(request: HttpRequest) -> list[str]:
    return [t for t in request.POST.get("tags", "").replace(";", ",").split(",") if t.strip()]


@require_POST
@agent_required
def customer_tags(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    customer = _customer(viewer, user_id)
    _done(
        request,
        _("Saved."),
        lambda: actions.set_record_tags(by=viewer, tags=_tags(request), customer=customer),
    )
    return redirect("agent:customer", user_id=customer.pk)


@require_POST
@agent_required
def organization_tags(request: HttpRequest, organization_id: int) -> HttpResponse:
    viewer = current_user(request)
    org = _organization(viewer, organization_id)
    _done(
        request,
        _("Saved."),
        lambda: actions.set_record_tags(by=viewer, tags=_tags(request), org=org),
    )
    return redirect("agent:organization", organization_id=org.pk)


@require_POST
@agent_required
def customer_note(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    customer = _customer(viewer, user_id)
    body = request.POST.get("body", "")
    _done(
        request,
        _("The note was added."),
        lambda: actions.add_note(by=viewer, body=body, customer=customer),
    )
    return redirect("agent:customer", user_id=customer.pk)


@require_POST
@agent_required
def organization_note(request: HttpRequest, organization_id: int) -> HttpResponse:
    viewer = current_user(request)
    org = _organization(viewer, organization_id)
    body = request.POST.get("body", "")
    _done(
        request, _("The note was added."), lambda: actions.add_note(by=viewer, body=body, org=org)
    )
    return redirect("agent:organization", organization_id=org.pk)


@require_POST
@agent_required
def ticket_fields(request: HttpRequest, number: int) -> HttpResponse:
    viewer = current_user(request)
    try:
        ticket = access_ticket(viewer, number)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    values = selectors.posted_values(selectors.definitions(Target.TICKET), request.POST)
    _done(request, _("Saved."), lambda: actions.set_ticket_fields(ticket, values, by=viewer))
    return redirect("agent:ticket", number=ticket.number)
