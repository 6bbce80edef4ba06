"""The customer card: who a requester is, every way they reach the desk, their tickets,
and the people who may be the same person (with the merge for team leads and admins).

Thin views: parse → `access_customer` → one action → render or redirect back.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from opora.accounts.identities import MANUAL_KINDS, add_identity, identities_of, remove_identity
from opora.accounts.merging import merge_customers
from opora.accounts.models import IdentityKind, User
from opora.accounts.selectors import (
    access_customer,
    access_identity,
    access_user,
    may_merge_customers,
    possible_duplicates,
)
from opora.agent.records import record_context
from opora.core.errors import Forbidden, NotFound, OporaError
from opora.core.numbers import parse_int
from opora.pages import PageForm, add_action_error, agent_required, current_user, not_found_as_404
from opora.tickets.selectors import visible_tickets

TICKETS_PAGE = 20
MAX_TICKETS = 500


class IdentityForm(PageForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[(k.value, k.label) for k in MANUAL_KINDS],
    )
    value = forms.CharField(label=gettext_lazy("Value"), max_length=255)


class MergeForm(PageForm):
    duplicate = forms.IntegerField(label=gettext_lazy("Duplicate"), min_value=1)


def _access(viewer: User, user_id: int) -> User:
    try:
        return access_customer(viewer, user_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None


def _limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit", "")
    wanted = parse_int(raw) or TICKETS_PAGE
    return max(TICKETS_PAGE, min(wanted, MAX_TICKETS))


def _render(
    request: HttpRequest,
    customer: User,
    *,
    identity_form: IdentityForm | None = None,
    merge_error: str = "",
    status: int = 200,
) -> HttpResponse:
    viewer = current_user(request)
    limit = _limit(request)
    # The tickets this agent may see: a card shows no more than the queues do.
    found = list(
        visible_tickets(viewer)
        .filter(requester=customer)
        .select_related("team")
        .order_by("-updated_at", "-id")[: limit + 1]
    )
    identities = identities_of(customer)
    channels = sorted(
        {str(IdentityKind(i.kind).label) for i in identities if i.kind != IdentityKind.EMAIL}
    )
    active = customer.is_active and customer.merged_into_id is None
    context: dict[str, Any] = {
        "customer": customer,
        "nav": "queue",
        "identities": identities,
        "channels": channels,
        "tickets": found[:limit],
        "more": limit + TICKETS_PAGE if len(found) > limit and limit < MAX_TICKETS else None,
        "duplicates": possible_duplicates(viewer, customer) if active else [],
        "merged_accounts": list(customer.merged_accounts.order_by("-merged_at", "-id")[:20]),
        "active": active,
        "may_merge": may_merge_customers(viewer) and active,
        "identity_form": identity_form or IdentityForm(),
        "merge_error": merge_error,
        **record_context(viewer, customer=customer),
        "action_base": f"/agent/customers/{customer.pk}",
        "contract_url": f"/admin/people/customers/{customer.pk}/contract",
    }
    return render(request, "agent/customer.html", context, status=status)


@require_GET
@agent_required
def customer_card(request: HttpRequest, user_id: int) -> HttpResponse:
    return _render(request, _access(current_user(request), user_id))


@require_POST
@agent_required
def add_identity_view(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = current_user(request)
    customer = _access(viewer, user_id)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        return _render(request, customer, identity_form=form, status=400)
    try:
        add_identity(
            customer, kind=form.cleaned_data["kind"], value=form.cleaned_data["value"], by=viewer
        )
    except OporaError as exc:
        add_action_error(form, exc, default_field="value")
        return _render(request, customer, identity_form=form, status=400)
    messages.success(request, _("The identity was added."))
    return redirect("agent:customer", user_id=customer.pk)


@require_POST
@agent_required
def remove_identity_view(request: HttpRequest, user_id: int, identity_id: int) -> HttpResponse:
    viewer = current_user(request)
    customer = _access(viewer, user_id)
    try:
        identity = access_identity(customer, identity_id)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    try:
        remove_identity(identity, by=viewer)
    except OporaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The identity was removed."))
    return redirect("agent:customer", user_id=customer.pk)


@require_POST
@agent_required
def merge(request: HttpRequest, user_id: int) -> HttpResponse:
    """Merge the customer named in `duplicate` into this one (team leads and admins)."""
    viewer = current_user(request)
    keep = _access(viewer, user_id)
    if not may_merge_customers(viewer):
        raise PermissionDenied(_("Only team leads and administrators may do this."))
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _render(request, keep, merge_error=_("Choose the customer to merge."), status=400)
    try:
        # Any person the agent may look up: staff is refused by the merge, with a reason.
        drop = access_user(viewer, form.cleaned_data["duplicate"])
        merge_customers(keep, drop, by=viewer)
    except NotFound as exc:
        raise not_found_as_404(exc) from None
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None
    except OporaError as exc:
        return _render(request, keep, merge_error=exc.message, status=400)
    messages.success(
        request,
        _("%(drop)s was merged into %(keep)s.")
        % {"drop": drop.display_name, "keep": keep.display_name},
    )
    return redirect("agent:customer", user_id=keep.pk)
