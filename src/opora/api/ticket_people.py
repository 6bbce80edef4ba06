"""Who a ticket concerns beyond its requester: the followers (Cc), and the customer
search that "New ticket" and the followers card use. Thin handlers over the actions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.params.functions import Query
from pydantic import Field

from opora.accounts.models import Role, User
from opora.accounts.selectors import access_user, search_people
from opora.api.common import ErrorOut, current_user
from opora.core.errors import Forbidden, ValidationFailed
from opora.tickets import actions, errors
from opora.tickets.selectors import access_ticket

router = Router(tags=["people"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class PersonOut(Schema):
    id: int
    name: str
    email: str = Field(description="empty for a person known only by phone or a channel")
    phone: str
    organization: str | None
    role: str


class FollowerIn(Schema):
    user: int = Field(description="id of the customer or agent to add")


def person_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "name": user.display_name,
        "email": "" if user.email.endswith(".invalid") else user.email,
        "phone": user.phone,
        "organization": user.organization.name if user.organization else None,
        "role": user.role,
    }


@router.get(
    "/customers/search",
    response={200: list[PersonOut], **ERRORS},
    summary="Find customers by name, e-mail or phone (agents; at most 10, 2+ characters)",
)
def search_customers(
    request: HttpRequest,
    q: str = Query(..., max_length=100),
    agents: bool = Query(False, description="include agents (e.g. to add a follower)"),
) -> list[dict[str, Any]]:
    roles: tuple[str, ...] = (Role.CUSTOMER,)
    if agents:
        roles = (Role.CUSTOMER, Role.AGENT, Role.ADMIN)
    return [person_out(u) for u in search_people(current_user(request), q, roles=roles)]


def _desk_ticket(user: User, number: int) -> Any:
    ticket = access_ticket(user, number)
    if not user.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may change followers."))
    return ticket


def _followers(ticket: Any) -> list[dict[str, Any]]:
    people = ticket.followers.select_related("organization").order_by("name", "email")
    return [person_out(u) for u in people]


@router.get(
    "/tickets/{number}/followers",
    response={200: list[PersonOut], **ERRORS},
    summary="People who get copies of the conversation (agents)",
)
def list_followers(request: HttpRequest, number: int) -> list[dict[str, Any]]:
    return _followers(_desk_ticket(current_user(request), number))


@router.post(
    "/tickets/{number}/followers",
    response={200: list[PersonOut], **ERRORS},
    summary="Add a follower (agents)",
)
def add_follower(request: HttpRequest, number: int, payload: FollowerIn) -> list[dict[str, Any]]:
    user = current_user(request)
    ticket = _desk_ticket(user, number)
    person = access_user(user, payload.user)
    if person.pk == ticket.requester_id:
        raise ValidationFailed(
            errors.INVALID, _("The requester gets every reply already."), field="user"
        )
    actions.add_followers(ticket, [person], by=user)
    return _followers(ticket)


@router.delete(
    "/tickets/{number}/followers/{user_id}",
    response={200: list[PersonOut], **ERRORS},
    summary="Remove a follower (agents)",
)
def remove_follower(request: HttpRequest, number: int, user_id: int) -> list[dict[str, Any]]:
    user = current_user(request)
    ticket = _desk_ticket(user, number)
    actions.remove_followers(ticket, list(ticket.followers.filter(pk=user_id)), by=user)
    return _followers(ticket)
