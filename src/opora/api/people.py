"""The admin console's people in the API: agents' and customers' changes,
deactivation, blocking, invitations, organizations and teams (admins only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema, Status
from pydantic import Field

from opora.accounts import (
    errors,
    invitations,
)
from opora.accounts import people as people_actions
from opora.accounts.models import Invitation, Organization, User
from opora.accounts.selectors import (
    access_organization,
    access_team,
    require_admin,
)
from opora.api.accounts import (
    ERRORS,
    OrganizationOut,
    TeamOut,
    UserOut,
    organization_out,
    router,
    team_out,
    user_out,
)
from opora.api.common import (
    LanguageName,
    Ref,
    StrictInput,
    UserRef,
    current_user,
)
from opora.core.errors import NotFound, ValidationFailed

# The operations below join the accounts router (one router per path: a second one
# holding /users/{id} would answer 405 to the methods it does not have).

# --- People (admins): edit, deactivate, invite, block; organizations and teams ---


class PersonOut(UserOut):
    phone: str
    teams: list[Ref]
    skills: list[str]
    languages: list[LanguageName] = Field(description="languages an agent answers in")
    cost_per_hour: str = Field(description="decimal, in the desk's currency")
    notify_by_email: bool
    blocked: bool = Field(description="a blocked customer's messages open no ticket")


class UserPatch(StrictInput):
    """Fields left out stay as they are. Agents and admins: name, email, role,
    support_line, is_team_lead, teams, skills, languages, cost_per_hour, time_zone.
    Customers: name, email, phone, language, organization (null: none),
    notify_by_email."""

    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    role: Literal["agent", "admin"] | None = None
    support_line: Literal[1, 2, 3] | None = None
    is_team_lead: bool | None = None
    teams: list[int] | None = Field(None, max_length=200)
    skills: list[str] | None = Field(None, max_length=30)
    languages: list[LanguageName] | None = Field(None, max_length=2)
    cost_per_hour: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    time_zone: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=40)
    language: LanguageName | None = None
    organization: int | None = None
    notify_by_email: bool | None = None


AGENT_ONLY_FIELDS = {
    "role",
    "support_line",
    "is_team_lead",
    "teams",
    "skills",
    "languages",
    "cost_per_hour",
    "time_zone",
}
CUSTOMER_ONLY_FIELDS = {"phone", "language", "organization", "notify_by_email"}


class DeactivateIn(StrictInput):
    reassign_to: int | None = Field(
        None,
        description="the agent who gets the open tickets; null: back to each ticket's "
        "team's unassigned queue",
    )


class InvitationIn(StrictInput):
    email: str = Field(max_length=254)
    name: str = Field("", max_length=200)
    role: Literal["agent", "admin"] = "agent"
    support_line: Literal[1, 2, 3] | None = 1
    teams: list[int] = Field([], max_length=200)
    language: LanguageName | None = Field(None, description="of the mail and the account")


class InvitationOut(Schema):
    id: int
    email: str
    name: str
    role: Literal["agent", "admin"]
    support_line: int | None
    teams: list[Ref]
    state: Literal["pending", "accepted", "expired", "revoked"]
    sent_at: datetime
    expires_at: datetime
    invited_by: UserRef | None


class OrganizationPatch(StrictInput):
    name: str | None = Field(None, max_length=200)
    domains: list[str] | None = Field(
        None, max_length=100, description="the whole list: domains left out are removed"
    )
    shared_tickets: bool | None = None
    notes: str | None = Field(None, max_length=10_000)
    vip: bool | None = None


class OrganizationDetailOut(OrganizationOut):
    notes: str
    vip: bool


class TeamPatch(StrictInput):
    name: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=254, description="reply address; '' for none")
    description: str | None = Field(None, max_length=10_000)
    members: list[int] | None = Field(None, max_length=500, description="the whole list")


def person_out(user: User) -> dict[str, Any]:
    return {
        **user_out(user),
        "phone": user.phone,
        "teams": [{"id": t.pk, "name": t.name} for t in user.teams.all()],
        "skills": list(user.skills or []),
        "languages": list(user.languages or []),
        "cost_per_hour": str(user.cost_per_hour),
        "notify_by_email": user.notify_by_email,
        "blocked": user.blocked,
    }


def invitation_out(invitation: Invitation) -> dict[str, Any]:
    by = invitation.invited_by
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "name": invitation.name,
        "role": invitation.role,
        "support_line": invitation.support_line,
        "teams": [{"id": t.pk, "name": t.name} for t in invitation.teams.all()],
        "state": invitations.state_of(invitation).value,
        "sent_at": invitation.sent_at,
        "expires_at": invitation.expires_at,
        "invited_by": {"id": by.pk, "email": by.email, "name": by.name} if by else None,
    }


def _admin(request: HttpRequest) -> User:
    user = current_user(request)
    require_admin(user)
    return user


def _person(admin: User, user_id: int) -> User:
    found = User.objects.select_related("organization").filter(pk=user_id).first()
    if found is None:
        raise NotFound(_("user"))
    return found


_ADMINS = "Admins only: 403 `admins_only` for anyone else, and nothing is written."


@router.patch(
    "/users/{user_id}",
    response={200: PersonOut, **ERRORS},
    summary="Change a user (admins)",
    description=_ADMINS + " An agent's fields do not apply to customers and the other way "
    "round (422 `invalid_choice`). 422 `last_admin` / `own_account` when the change would "
    "demote the last active admin or yourself.",
    operation_id="opora_api_accounts_update_user",
)
def update_user(request: HttpRequest, user_id: int, payload: UserPatch) -> dict[str, Any]:
    admin = _admin(request)
    person = _person(admin, user_id)
    sent = payload.model_fields_set
    wrong = sent & (CUSTOMER_ONLY_FIELDS if person.is_agent else AGENT_ONLY_FIELDS)
    if wrong:
        raise ValidationFailed(
            errors.INVALID_CHOICE,
            _("This field does not apply to this person."),
            field=sorted(wrong)[0],
        )
    if person.is_agent:
        person = people_actions.update_agent(
            person,
            people_actions.AgentDetails(
                name=payload.name,
                email=payload.email,
                role=payload.role,
                support_line=payload.support_line,
                is_team_lead=payload.is_team_lead,
                teams=payload.teams,
                skills=payload.skills,
                languages=payload.languages,
                cost_per_hour=payload.cost_per_hour,
                time_zone=payload.time_zone,
            ),
            by=admin,
        )
    else:
        person = people_actions.update_customer(
            person,
            people_actions.CustomerDetails(
                name=payload.name,
                email=payload.email,
                phone=payload.phone,
                language=payload.language,
                organization=payload.organization,
                clear_organization="organization" in sent and payload.organization is None,
                notify_by_email=payload.notify_by_email,
            ),
            by=admin,
        )
    return person_out(_person(admin, person.pk))


@router.post(
    "/users/{user_id}/deactivate",
    response={200: PersonOut, **ERRORS},
    summary="Deactivate an agent: open tickets reassigned, sessions and tokens revoked (admins)",
    description=_ADMINS + " The open tickets go to `reassign_to` (who must be an active "
    "agent of each ticket's team, else 422 and nothing changes) or back to their team's "
    "unassigned queue. 422 `last_admin` / `own_account` for the last active admin or "
    "yourself.",
    operation_id="opora_api_accounts_deactivate_user",
)
def deactivate_user(request: HttpRequest, user_id: int, payload: DeactivateIn) -> dict[str, Any]:
    admin = _admin(request)
    person = _person(admin, user_id)
    target = None
    if payload.reassign_to is not None:
        target = User.objects.filter(pk=payload.reassign_to).first()
        if target is None:
            raise ValidationFailed(errors.UNKNOWN_USER, _("no such user"), field="reassign_to")
    return person_out(people_actions.deactivate_agent(person, by=admin, reassign_to=target))


@router.post(
    "/users/{user_id}/reactivate",
    response={200: PersonOut, **ERRORS},
    summary="Let a deactivated agent sign in again (admins)",
    description=_ADMINS,
    operation_id="opora_api_accounts_reactivate_user",
)
def reactivate_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    admin = _admin(request)
    return person_out(people_actions.reactivate_agent(_person(admin, user_id), by=admin))


@router.post(
    "/users/{user_id}/block",
    response={200: PersonOut, **ERRORS},
    summary="Block a customer: their messages are kept but open no ticket (admins)",
    description=_ADMINS + " A blocked customer cannot sign in to the portal; their "
    "sessions and tokens end at once.",
    operation_id="opora_api_accounts_block_customer",
)
def block_customer(request: HttpRequest, user_id: int) -> dict[str, Any]:
    admin = _admin(request)
    person = people_actions.set_customer_blocked(_person(admin, user_id), blocked=True, by=admin)
    return person_out(person)


@router.post(
    "/users/{user_id}/unblock",
    response={200: PersonOut, **ERRORS},
    summary="Unblock a customer (admins)",
    description=_ADMINS,
    operation_id="opora_api_accounts_unblock_customer",
)
def unblock_customer(request: HttpRequest, user_id: int) -> dict[str, Any]:
    admin = _admin(request)
    person = people_actions.set_customer_blocked(_person(admin, user_id), blocked=False, by=admin)
    return person_out(person)


@router.get(
    "/invitations",
    response={200: list[InvitationOut], **ERRORS},
    summary="Pending (and expired, not yet revoked) invitations (admins)",
    description=_ADMINS,
    operation_id="opora_api_accounts_list_invitations",
)
def list_invitations(request: HttpRequest) -> list[dict[str, Any]]:
    _admin(request)
    found = invitations.pending_invitations().select_related("invited_by")
    return [invitation_out(i) for i in found.prefetch_related("teams")]


@router.post(
    "/invitations",
    response={201: InvitationOut, **ERRORS},
    summary="Invite someone by e-mail to work at the desk (admins)",
    description=_ADMINS + " The mail holds a one-time link, valid 7 days, to set a "
    "password. 422 `email_taken` for an address with an account, `invitation_pending` "
    "for one with a pending invitation (send that again).",
    operation_id="opora_api_accounts_create_invitation",
)
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Status[dict[str, Any]]:
    admin = _admin(request)
    invitation = invitations.invite(
        email=payload.email,
        by=admin,
        name=payload.name,
        role=payload.role,
        support_line=payload.support_line,
        teams=payload.teams,
        language=payload.language,
    )
    return Status(201, invitation_out(invitation))


@router.post(
    "/invitations/{invitation_id}/resend",
    response={200: InvitationOut, **ERRORS},
    summary="Send an invitation again: a new link, valid 7 days; the old one stops working",
    description=_ADMINS,
    operation_id="opora_api_accounts_resend_invitation",
)
def resend_invitation(request: HttpRequest, invitation_id: int) -> dict[str, Any]:
    admin = _admin(request)
    invitation = invitations.access_invitation(admin, invitation_id)
    return invitation_out(invitations.resend(invitation, by=admin))


@router.delete(
    "/invitations/{invitation_id}",
    response={204: None, **ERRORS},
    summary="Revoke an invitation: its link stops working (admins)",
    description=_ADMINS,
    operation_id="opora_api_accounts_revoke_invitation",
)
def revoke_invitation(request: HttpRequest, invitation_id: int) -> Status[None]:
    admin = _admin(request)
    invitations.revoke(invitations.access_invitation(admin, invitation_id), by=admin)
    return Status(204, None)


def organization_detail_out(org: Organization) -> dict[str, Any]:
    return {**organization_out(org), "notes": org.notes, "vip": org.vip}


@router.patch(
    "/organizations/{organization_id}",
    response={200: OrganizationDetailOut, **ERRORS},
    summary="Change an organization (admins)",
    description=_ADMINS + " Customers without an organization whose address is in a new "
    "domain join it.",
    operation_id="opora_api_accounts_update_organization",
)
def update_organization(
    request: HttpRequest, organization_id: int, payload: OrganizationPatch
) -> dict[str, Any]:
    admin = _admin(request)
    org = access_organization(admin, organization_id)
    org = people_actions.update_organization(
        org,
        people_actions.OrganizationDetails(
            name=payload.name,
            domains=payload.domains,
            shared_tickets=payload.shared_tickets,
            notes=payload.notes,
            vip=payload.vip,
        ),
        by=admin,
    )
    return organization_detail_out(org)


@router.delete(
    "/organizations/{organization_id}",
    response={204: None, **ERRORS},
    summary="Delete an empty organization (admins)",
    description=_ADMINS + " 422 `not_empty` while it has members or tickets.",
    operation_id="opora_api_accounts_delete_organization",
)
def delete_organization(request: HttpRequest, organization_id: int) -> Status[None]:
    admin = _admin(request)
    people_actions.delete_organization(access_organization(admin, organization_id), by=admin)
    return Status(204, None)


@router.patch(
    "/teams/{team_id}",
    response={200: TeamOut, **ERRORS},
    summary="Change a team (admins)",
    description=_ADMINS,
    operation_id="opora_api_accounts_update_team",
)
def update_team(request: HttpRequest, team_id: int, payload: TeamPatch) -> dict[str, Any]:
    admin = _admin(request)
    team = people_actions.update_team(
        access_team(admin, team_id),
        people_actions.TeamDetails(
            name=payload.name,
            email=payload.email,
            description=payload.description,
            members=payload.members,
        ),
        by=admin,
    )
    return team_out(team)


@router.delete(
    "/teams/{team_id}",
    response={204: None, **ERRORS},
    summary="Delete a team without tickets (admins)",
    description=_ADMINS + " 422 `has_tickets` while any ticket is in the team.",
    operation_id="opora_api_accounts_delete_team",
)
def delete_team(request: HttpRequest, team_id: int) -> Status[None]:
    admin = _admin(request)
    people_actions.delete_team(access_team(admin, team_id), by=admin)
    return Status(204, None)
