"""The organization page for agents: its details (domains, VIP, notes), its people and
all its tickets across channels, newest first, that the agent may open.

Any agent may look at an organization (the people and the address book are the whole
desk's); its tickets are narrowed to the agent's own visibility, as every list is.
Customers are refused with the 403 page: this is the desk's view of a company.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opora.accounts.models import Organization, User
from opora.agent.records import record_context
from opora.pages import signed_in_user
from opora.tickets.models import TicketStatus
from opora.tickets.selectors import ticket_list_queryset, visible_tickets

PAGE_SIZE = 25
PEOPLE_SHOWN = 200


def access_organization(viewer: User, organization_id: int) -> Organization:
    """An organization for the desk's page: agents only (others get PermissionDenied)."""
    if not viewer.is_agent:
        raise PermissionDenied(_("This page is for the desk's agents."))
    found = Organization.objects.prefetch_related("domains").filter(pk=organization_id).first()
    if found is None:
        raise Http404(_("organization"))
    return found


@require_GET
def organization_page(request: HttpRequest, organization_id: int) -> HttpResponse:
    viewer = signed_in_user(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    organization = access_organization(viewer, organization_id)
    status = request.GET.get("status", "")
    if status not in TicketStatus.values:
        status = ""
    tickets = visible_tickets(viewer).filter(organization=organization)
    if status:
        tickets = tickets.filter(status=status)
    rows = ticket_list_queryset(tickets).order_by("-created_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    people = list(
        organization.members.filter(is_active=True).order_by("name", "email")[:PEOPLE_SHOWN]
    )
    return render(
        request,
        "agent/organization.html",
        {
            "organization": organization,
            "domains": [d.domain for d in organization.domains.all()],
            "people": people,
            "page": page,
            "status": status,
            "statuses": TicketStatus.choices,
            "nav": "queue",
            **record_context(viewer, org=organization),
            "action_base": f"/agent/organizations/{organization.pk}",
            "contract_url": f"/admin/people/organizations/{organization.pk}/contract",
        },
    )
