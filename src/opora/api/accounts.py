"""Sign-in tokens, the current user, and the directories of users, organizations, teams."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.params.functions import Query
from pydantic import Field

from opora.accounts import (
    actions,
    errors,
    securitykeys,
    sessions,
    tokens,
    twofactor,
)
from opora.accounts.identities import add_identity, identities_of, remove_identity
from opora.accounts.merging import merge_customers
from opora.accounts.models import ApiToken, Identity, Organization, Team, User
from opora.accounts.selectors import (
    access_customer,
    access_identity,
    access_own_token,
    access_user,
    organization_by_id,
    require_admin,
    visible_organizations,
    visible_teams,
    visible_users,
)
from opora.api.common import (
    ErrorOut,
    LanguageName,
    Ref,
    StrictInput,
    UserRef,
    current_user,
    needs_scope,
)
from opora.core import ratelimit
from opora.core.errors import Forbidden, RateLimited

router = Router(tags=["accounts"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


RoleName = Literal["customer", "agent", "admin"]
ScopeName = Literal["read", "tickets", "admin"]

_SCOPES_DOC = (
    "`read`: GET only; `tickets`: read, plus tickets, messages, attachments, time, "
    "ratings, feedback and chats; `admin`: everything the user's role allows. A scope "
    "never widens the role."
)
_LIFETIME_DOC = (
    "days until the token expires, 1 to `OPORA_API_TOKEN_MAX_DAYS` (365 unless the desk "
    "says otherwise); null: never, where the desk allows it (admins, by default)"
)


class TokenIn(Schema):
    email: str
    password: str
    name: str = Field("api", description="what the token is for (at most 100 characters kept)")
    otp: str | None = Field(
        None,
        max_length=32,
        description="a current code from the authenticator app, or a recovery code: "
        "required for accounts with two-factor sign-in",
    )
    scopes: list[ScopeName] = Field(
        ["admin"], min_length=1, max_length=3, description=_SCOPES_DOC + " Default: admin."
    )
    expires_in_days: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description=_LIFETIME_DOC + "; left out: `OPORA_API_TOKEN_TTL_DAYS` (90 by default)",
    )


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="the token's first characters, to recognise it by")
    scopes: list[ScopeName]
    created_at: datetime
    expires_at: datetime | None = Field(description="null: never")
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool = Field(description="neither revoked nor expired")


class NewTokenOut(ApiTokenOut):
    token: str = Field(description="the token itself: shown this once, never again")


class ApiTokenIn(StrictInput):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[ScopeName] = Field(min_length=1, max_length=3, description=_SCOPES_DOC)
    expires_in_days: int | None = Field(ge=1, le=100_000, description=_LIFETIME_DOC)


class SessionOut(Schema):
    id: int
    browser: str = Field(description="read from the user agent, e.g. 'Firefox on Windows'")
    user_agent: str
    address: str
    created_at: datetime
    last_seen_at: datetime
    current: bool = Field(description="the session this request is made with")


class TwoFactorOut(Schema):
    totp: bool
    security_keys: list[Ref]
    recovery_codes_left: int
    required: bool = Field(description="whether the user's role requires a second factor")


class TwoFactorPolicyOut(Schema):
    agents_required: bool
    admins_required: bool


class TwoFactorPolicyIn(StrictInput):
    agents_required: bool
    admins_required: bool


class UserOut(Schema):
    id: int
    email: str
    name: str
    role: RoleName
    support_line: int | None
    is_team_lead: bool
    organization: Ref | None
    language: str
    time_zone: str
    is_active: bool
    # False for a person known only by a channel (chat, messenger): their address is a
    # placeholder in a reserved domain and no mail is sent to it.
    reachable_by_email: bool
    # Mail to the address bounced for good (a delivery report): automatic mail to it
    # stops until it is cleared.
    email_undeliverable: bool = False
    email_undeliverable_since: datetime | None = None
    email_undeliverable_reason: str = ""
    # A duplicate merged into another customer: that customer's id (the account is
    # deactivated).
    merged_into: int | None


class TokenOut(Schema):
    token: str
    id: int
    scopes: list[ScopeName]
    expires_at: datetime | None
    user: UserOut


class UserCreate(Schema):
    email: str
    name: str = ""
    password: str | None = None
    role: RoleName = "customer"
    support_line: Literal[1, 2, 3] | None = None
    is_team_lead: bool = False
    organization: int | None = None
    language: LanguageName | None = None


class OrganizationOut(Schema):
    id: int
    name: str
    domains: list[str]
    shared_tickets: bool


class OrganizationCreate(Schema):
    name: str
    domains: list[str] = []
    shared_tickets: bool = False


class TeamOut(Schema):
    id: int
    name: str
    email: str
    description: str
    members: list[UserRef]


class TeamCreate(Schema):
    name: str
    email: str = ""
    description: str = ""
    members: list[int] = []


def user_out(user: User) -> dict[str, Any]:
    org = user.organization
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "support_line": user.support_line,
        "is_team_lead": user.is_team_lead,
        "organization": {"id": org.pk, "name": org.name} if org else None,
        "language": user.language,
        "time_zone": user.time_zone,
        "is_active": user.is_active,
        "reachable_by_email": user.reachable_by_email,
        "email_undeliverable": user.email_undeliverable,
        "email_undeliverable_since": user.email_undeliverable_at,
        "email_undeliverable_reason": user.email_undeliverable_reason,
        "merged_into": user.merged_into_id,
    }


IdentityKindName = Literal["email", "phone", "chat", "telegram", "vk", "whatsapp"]
ManualKindName = Literal["email", "phone", "telegram", "whatsapp", "vk"]


class IdentityOut(Schema):
    # null for the account's own address, which is no stored identity and stays.
    id: int | None
    kind: IdentityKindName
    value: str
    name: str
    verified: bool
    last_seen_at: datetime | None


class IdentityIn(StrictInput):
    kind: ManualKindName
    value: str


class MergeIn(StrictInput):
    duplicate: int


def identity_out(identity: Identity) -> dict[str, Any]:
    return {
        "id": identity.pk,
        "kind": identity.kind,
        "value": identity.value,
        "name": identity.name,
        "verified": identity.verified,
        "last_seen_at": identity.last_seen_at,
    }


def organization_out(org: Organization) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "domains": [d.domain for d in org.domains.all()],
        "shared_tickets": org.shared_tickets,
    }


def team_out(team: Team) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "email": team.email,
        "description": team.description,
        "members": [{"id": m.pk, "email": m.email, "name": m.name} for m in team.members.all()],
    }


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Exchange e-mail and password (and a one-time code where the account has "
    "two-factor sign-in) for an API token",
    description="401 with code `second_factor_required` when the account has a second "
    "factor and no `otp` was sent, `bad_second_factor` when it was wrong; 403 "
    "`two_factor_enrolment_required` when the user's role requires a second factor "
    "they have not set up.",
    operation_id="opora_api_accounts_issue_token",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    address = ratelimit.client_address(request.META)
    if not ratelimit.sign_in_allowed("auth", address, payload.email):
        raise RateLimited(errors.RATE_LIMITED, _("Too many sign-in attempts; wait a minute."))
    user = authenticate(request, username=payload.email.strip().lower(), password=payload.password)
    if not isinstance(user, User):
        ratelimit.sign_in_failed("auth")
        raise HttpError(401, _("Wrong e-mail or password."))
    if twofactor.has_second_factor(user):
        if not payload.otp:
            raise twofactor.SecondFactorRequired(
                errors.SECOND_FACTOR_REQUIRED,
                _("This account signs in with a second factor: send a current code as otp."),
                field="otp",
            )
        if twofactor.verify_code(user, payload.otp) is None:
            ratelimit.sign_in_failed("auth")
            raise twofactor.SecondFactorRequired(
                errors.BAD_SECOND_FACTOR, _("The code is not right."), field="otp"
            )
    elif twofactor.must_enrol(user):
        raise Forbidden(
            errors.ENROLMENT_REQUIRED,
            _("Your role requires two-factor sign-in: set it up in your profile first."),
        )
    lifetime: dict[str, Any] = {}
    if "expires_in_days" in payload.model_fields_set:
        lifetime["expires_in_days"] = payload.expires_in_days
    token, raw = tokens.issue_token(user, name=payload.name, scopes=payload.scopes, **lifetime)
    return Status(
        201,
        {
            "token": raw,
            "id": token.pk,
            "scopes": tokens.scopes_of(token),
            "expires_at": token.expires_at,
            "user": user_out(user),
        },
    )


@router.delete(
    "/auth/token",
    response={204: None, **ERRORS},
    summary="Revoke the token in use",
    # Any token may end itself.
    openapi_extra=needs_scope(tokens.READ),
)
def revoke_token(request: HttpRequest) -> Status[None]:
    user = current_user(request)
    header = request.headers.get("Authorization", "")
    raw = header.split(" ", 1)[1].strip() if " " in header else ""
    tokens.revoke_token(access_own_token(user, raw), by=user)
    return Status(204, None)


def api_token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": tokens.scopes_of(token),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "active": token.revoked_at is None and not tokens.is_expired(token),
    }


@router.get(
    "/me/tokens",
    response={200: list[ApiTokenOut], **ERRORS},
    summary="My API tokens (never the tokens themselves)",
    operation_id="opora_api_accounts_list_tokens",
)
def list_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    return [api_token_out(t) for t in tokens.tokens_of(current_user(request))]


@router.post(
    "/me/tokens",
    response={201: NewTokenOut, **ERRORS},
    summary="Make an API token with chosen scopes and lifetime; it is shown this once",
    description="From a signed-in session or an `admin` token. 422 `token_lifetime` for a "
    "lifetime the desk does not allow; 403 `two_factor_enrolment_required` while the "
    "user's role requires a second factor they have not set up.",
    operation_id="opora_api_accounts_create_token",
)
def create_token(request: HttpRequest, payload: ApiTokenIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    if twofactor.must_enrol(user):
        raise Forbidden(
            errors.ENROLMENT_REQUIRED,
            _("Your role requires two-factor sign-in: set it up in your profile first."),
        )
    token, raw = tokens.issue_token(
        user, name=payload.name, scopes=payload.scopes, expires_in_days=payload.expires_in_days
    )
    return Status(201, {**api_token_out(token), "token": raw})


@router.delete(
    "/me/tokens/{token_id}",
    response={204: None, **ERRORS},
    summary="Revoke one of my API tokens",
    operation_id="opora_api_accounts_revoke_my_token",
)
def revoke_my_token(request: HttpRequest, token_id: int) -> Status[None]:
    user = current_user(request)
    tokens.revoke_token(tokens.access_own_token(user, token_id), by=user)
    return Status(204, None)


@router.get(
    "/users/{user_id}/tokens",
    response={200: list[ApiTokenOut], **ERRORS},
    summary="A user's API tokens (admins)",
    operation_id="opora_api_accounts_list_user_tokens",
)
def list_user_tokens(request: HttpRequest, user_id: int) -> list[dict[str, Any]]:
    person = tokens.access_tokens_of(current_user(request), user_id)
    return [api_token_out(t) for t in tokens.tokens_of(person)]


@router.delete(
    "/users/{user_id}/tokens/{token_id}",
    response={204: None, **ERRORS},
    summary="Revoke a user's API token, e.g. when they leave (admins)",
    operation_id="opora_api_accounts_revoke_user_token",
)
def revoke_user_token(request: HttpRequest, user_id: int, token_id: int) -> Status[None]:
    admin = current_user(request)
    person = tokens.access_tokens_of(admin, user_id)
    tokens.revoke_token(tokens.access_own_token(person, token_id), by=admin)
    return Status(204, None)


@router.get("/users", response={200: list[UserOut], **ERRORS}, summary="List users (agents)")
def list_users(
    request: HttpRequest,
    role: RoleName | None = None,
    organization: int | None = None,
    q: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    users = visible_users(current_user(request))
    if role:
        users = users.filter(role=role)
    if organization is not None:
        users = users.filter(organization_id=organization)
    if q:
        users = users.filter(email__icontains=q.strip()) | users.filter(name__icontains=q.strip())
    return [user_out(u) for u in users.order_by("email", "id")[offset : offset + limit]]


@router.post("/users", response={201: UserOut, **ERRORS}, summary="Create a user (admins)")
def create_user(request: HttpRequest, payload: UserCreate) -> Status[dict[str, Any]]:
    user = current_user(request)
    organization = None
    if payload.organization is not None:
        organization = organization_by_id(payload.organization)
    created = actions.create_user(
        email=payload.email,
        by=user,
        name=payload.name,
        password=payload.password,
        role=payload.role,
        support_line=payload.support_line,
        is_team_lead=payload.is_team_lead,
        organization=organization,
        language=payload.language,
    )
    return Status(201, user_out(created))


@router.get(
    "/users/{user_id}",
    response={200: UserOut, **ERRORS},
    summary="Get a user (agents)",
    operation_id="opora_api_accounts_get_user",
)
def get_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    return user_out(access_user(current_user(request), user_id))


@router.get(
    "/users/{user_id}/identities",
    response={200: list[IdentityOut], **ERRORS},
    summary="Every way a person reaches the desk (agents)",
    operation_id="opora_api_accounts_list_identities",
)
def list_identities(request: HttpRequest, user_id: int) -> list[dict[str, Any]]:
    person = access_user(current_user(request), user_id)
    return [identity_out(i) for i in identities_of(person)]


@router.post(
    "/users/{user_id}/identities",
    response={201: IdentityOut, **ERRORS},
    summary="Record a customer's phone, address or messenger account (agents; unverified)",
    operation_id="opora_api_accounts_add_identity",
)
def create_identity(
    request: HttpRequest, user_id: int, payload: IdentityIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    customer = access_customer(user, user_id)
    identity = add_identity(customer, kind=payload.kind, value=payload.value, by=user)
    return Status(201, identity_out(identity))


@router.delete(
    "/users/{user_id}/identities/{identity_id}",
    response={204: None, **ERRORS},
    summary="Forget one of a customer's identities (agents; not the account's own address)",
    operation_id="opora_api_accounts_remove_identity",
)
def delete_identity(request: HttpRequest, user_id: int, identity_id: int) -> Status[None]:
    user = current_user(request)
    customer = access_customer(user, user_id)
    remove_identity(access_identity(customer, identity_id), by=user)
    return Status(204, None)


@router.post(
    "/users/{user_id}/merge",
    response={200: UserOut, **ERRORS},
    summary="Merge a duplicate customer into this one (team leads and admins)",
    operation_id="opora_api_accounts_merge_customers",
)
def merge_users(request: HttpRequest, user_id: int, payload: MergeIn) -> dict[str, Any]:
    user = current_user(request)
    keep = access_user(user, user_id)
    drop = access_user(user, payload.duplicate)
    return user_out(merge_customers(keep, drop, by=user))


@router.get(
    "/organizations", response={200: list[OrganizationOut], **ERRORS}, summary="List organizations"
)
def list_organizations(request: HttpRequest) -> list[dict[str, Any]]:
    return [organization_out(o) for o in visible_organizations(current_user(request))]


@router.post(
    "/organizations",
    response={201: OrganizationOut, **ERRORS},
    summary="Create an organization (admins)",
)
def create_organization(
    request: HttpRequest, payload: OrganizationCreate
) -> Status[dict[str, Any]]:
    org = actions.create_organization(
        name=payload.name,
        by=current_user(request),
        domains=payload.domains,
        shared_tickets=payload.shared_tickets,
    )
    return Status(201, organization_out(org))


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, summary="List teams")
def list_teams(request: HttpRequest) -> list[dict[str, Any]]:
    return [team_out(t) for t in visible_teams(current_user(request))]


@router.post("/teams", response={201: TeamOut, **ERRORS}, summary="Create a team (admins)")
def create_team(request: HttpRequest, payload: TeamCreate) -> Status[dict[str, Any]]:
    team = actions.create_team(
        name=payload.name,
        by=current_user(request),
        email=payload.email,
        description=payload.description,
        members=payload.members,
    )
    return Status(201, team_out(team))


def session_out(session: Any, current: int | None) -> dict[str, Any]:
    return {
        "id": session.pk,
        "browser": sessions.describe_user_agent(session.user_agent),
        "user_agent": session.user_agent,
        "address": session.address,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "current": session.pk == current,
    }


def _session_id(request: HttpRequest) -> int | None:
    return sessions.current_session_id(request) if hasattr(request, "session") else None


@router.get(
    "/me/sessions",
    response={200: list[SessionOut], **ERRORS},
    summary="Where I am signed in: my browsers' sessions",
    operation_id="opora_api_accounts_list_sessions",
)
def list_sessions(request: HttpRequest) -> list[dict[str, Any]]:
    user = current_user(request)
    current = _session_id(request)
    return [session_out(s, current) for s in sessions.sessions_of(user)]


@router.delete(
    "/me/sessions/{session_id}",
    response={204: None, **ERRORS},
    summary="Sign one of my sessions out (its next request is signed out)",
    operation_id="opora_api_accounts_revoke_session",
)
def revoke_session(request: HttpRequest, session_id: int) -> Status[None]:
    user = current_user(request)
    sessions.revoke_session(sessions.access_own_session(user, session_id), by=user)
    return Status(204, None)


@router.get(
    "/me/two-factor",
    response={200: TwoFactorOut, **ERRORS},
    summary="My second factors (set up in the profile's Security page)",
    operation_id="opora_api_accounts_two_factor_status",
)
def two_factor_status(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    return {
        "totp": twofactor.has_totp(user),
        "security_keys": [{"id": k.pk, "name": k.name} for k in securitykeys.keys_of(user)],
        "recovery_codes_left": twofactor.recovery_codes_left(user),
        "required": twofactor.second_factor_required_for(user),
    }


def _policy_out() -> dict[str, Any]:
    policy = twofactor.two_factor_policy()
    return {"agents_required": policy.agents_required, "admins_required": policy.admins_required}


@router.get(
    "/security/two-factor-policy",
    response={200: TwoFactorPolicyOut, **ERRORS},
    summary="Which roles must sign in with a second factor (admins)",
    operation_id="opora_api_accounts_get_two_factor_policy",
)
def get_two_factor_policy(request: HttpRequest) -> dict[str, Any]:
    require_admin(current_user(request))
    return _policy_out()


@router.put(
    "/security/two-factor-policy",
    response={200: TwoFactorPolicyOut, **ERRORS},
    summary="Require a second factor for agents and/or admins (admins)",
    operation_id="opora_api_accounts_set_two_factor_policy",
)
def set_two_factor_policy(request: HttpRequest, payload: TwoFactorPolicyIn) -> dict[str, Any]:
    twofactor.set_two_factor_policy(
        agents_required=payload.agents_required,
        admins_required=payload.admins_required,
        by=current_user(request),
    )
    return _policy_out()
