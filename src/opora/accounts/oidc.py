"""Single sign-on for agents and admins through an OpenID Connect provider.

The protocol is authlib's: discovery from `<issuer>/.well-known/openid-configuration`,
the Authorization Code flow with PKCE (S256), `state` and `nonce` kept in the session,
the ID token's signature checked against the provider's JWKS (fetched again when a
token names a key it does not know) and its issuer, audience, expiry and nonce checked.
Nothing here parses a token by hand.

Who the person is, in this order:
1. the provider's (issuer, sub), recorded as an `Identity` of kind `oidc`;
2. the first time only: an existing agent or admin with the same address, when the
   provider says the address is verified (`email_verified: true`); the identity is
   then recorded, so a later change of address at the provider changes nothing;
3. otherwise a new agent or admin, made just in time from the groups claim.

The groups claim decides access on every sign-in (`SsoGroupMapping`, edited by
admins): the highest role of the mapped groups (admin above agent), the highest
support line they name, and membership of exactly the teams they name (a team added by
hand is left at the next sign-in: the provider's groups are the one place to change a
single sign-on user's access, as a team removed from a mapping takes its members
out at their next sign-in). A person in no mapped
group is refused and their account is left as it is (not deactivated): access at the
desk follows the provider only at sign-in, and a deactivation is an admin's decision.
Customers never sign in here: an address that belongs to a customer is refused, and
is not turned into an agent.

The second factor: when the ID token says the provider asked one (`amr` names `mfa`,
or a possession or biometric method beside another; or `acr` is a known multi-factor
level), that stands in for Opora's own for the session. Otherwise Opora asks its own
second factor when the person has one, and sends them to set one up when their role
requires it, as after a password.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc.errors import JoseError

from opora.accounts import errors
from opora.accounts.actions import create_user
from opora.accounts.models import (
    AccountEventKind,
    Identity,
    IdentityKind,
    Role,
    SsoGroupMapping,
    Team,
    User,
    normalize_email,
)
from opora.accounts.selectors import require_admin
from opora.accounts.twofactor import record_event
from opora.core import audit
from opora.core.errors import NotFound, OporaError, ValidationFailed

log = logging.getLogger("opora.accounts.security")

# Seconds a call to the provider (discovery, keys, token) may take.
PROVIDER_TIMEOUT = 10
# `amr` values (RFC 8176) of something one has or is: beside another method, or with
# `mfa` itself, the provider asked more than a password.
_SECOND_FACTOR_AMR = {"otp", "hwk", "swk", "sms", "tel", "sc", "fpt", "face", "iris", "retina"}
# `acr` values providers use for a multi-factor sign-in.
_MFA_ACR = {
    "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
    "http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical",
    "urn:okta:loa:2fa:any",
    "urn:okta:loa:2fa:any:ifpossible",
    "phr",
    "phrh",
    "mfa",
}


class SsoRefused(OporaError):
    """The person has no access here (no mapped group, a customer's address...)."""

    status = 403


class SsoFailed(SsoRefused):
    """The provider's answer was not accepted (state, token, signature, claims)."""

    status = 400


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    name: str
    groups_claim: str
    scopes: str

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def provider() -> Provider | None:
    """The configured provider (OPORA_OIDC_*), or None: single sign-on is off."""
    if not settings.OIDC_ISSUER or not settings.OIDC_CLIENT_ID:
        return None
    return Provider(
        issuer=settings.OIDC_ISSUER,
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        name=settings.OIDC_NAME,
        groups_claim=settings.OIDC_GROUPS_CLAIM,
        scopes=settings.OIDC_SCOPES,
    )


_apps: dict[Provider, DjangoOAuth2App] = {}
_apps_lock = threading.Lock()


def _app(config: Provider) -> DjangoOAuth2App:
    """authlib's client for `config`, one per process: it keeps the provider's metadata
    and keys once fetched."""
    with _apps_lock:
        found = _apps.get(config)
        if found is None:
            registry = OAuth()
            found = registry.register(
                name="opora",
                client_id=config.client_id,
                client_secret=config.client_secret or None,
                server_metadata_url=config.discovery_url,
                client_kwargs={
                    "scope": config.scopes,
                    "code_challenge_method": "S256",
                    "default_timeout": PROVIDER_TIMEOUT,
                },
            )
            _apps[config] = found
        return found


def _failed(reason: str) -> SsoFailed:
    log.info("single sign-on refused: %s", reason)
    return SsoFailed(
        errors.SSO_FAILED,
        _("The sign-in with the provider did not succeed. Please try again."),
    )


def _checked_metadata(config: Provider, app: DjangoOAuth2App) -> Mapping[str, Any]:
    metadata: Mapping[str, Any] = app.load_server_metadata()
    # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer asked for.
    if str(metadata.get("issuer", "")).rstrip("/") != config.issuer.rstrip("/"):
        raise _failed("the discovery document names another issuer")
    return metadata


def authorization_url(request: HttpRequest, config: Provider, redirect_uri: str) -> str:
    """Where to send the browser: the provider's authorization endpoint with a fresh
    state, nonce and PKCE challenge, whose secrets are kept in this session."""
    app = _app(config)
    try:
        _checked_metadata(config, app)
        found = app.create_authorization_url(redirect_uri)
    except (OAuthError, requests.RequestException, ValueError, RuntimeError) as exc:
        raise _failed(f"discovery: {exc!r}") from None
    app.save_authorize_data(request, redirect_uri=redirect_uri, **found)
    return str(found["url"])


@dataclass(frozen=True)
class ProviderPerson:
    """What a checked ID token says about the person."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    groups: tuple[str, ...]
    second_factor: bool

    @property
    def identity_value(self) -> str:
        return f"{self.issuer} {self.subject}"


def provider_did_mfa(claims: Mapping[str, Any]) -> bool:
    """Whether the ID token says the provider asked more than one factor."""
    amr = claims.get("amr")
    methods = {str(m) for m in amr} if isinstance(amr, list) else set()
    if "mfa" in methods or (methods & _SECOND_FACTOR_AMR and len(methods) >= 2):
        return True
    return str(claims.get("acr", "")) in _MFA_ACR


def _groups(claims: Mapping[str, Any], claim: str) -> tuple[str, ...]:
    value = claims.get(claim)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(str(g)[:255] for g in value if isinstance(g, str | int))


def person_from_callback(request: HttpRequest, config: Provider) -> ProviderPerson:
    """Finish the flow: check `state`, exchange the code (with the PKCE verifier), check
    the ID token. Any failure is `SsoRefused`; the state is spent either way."""
    app = _app(config)
    try:
        metadata = _checked_metadata(config, app)
        token = app.authorize_access_token(
            request,
            claims_options={"iss": {"essential": True, "values": [metadata["issuer"]]}},
            leeway=60,
        )
    except (OAuthError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        raise _failed(repr(exc)) from None
    claims = token.get("userinfo") if isinstance(token, dict) else None
    if not claims or not claims.get("sub"):
        raise _failed("no ID token in the provider's answer")
    verified = claims.get("email_verified")
    return ProviderPerson(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=normalize_email(str(claims.get("email") or "")),
        email_verified=verified is True or verified == "true",
        name=str(claims.get("name") or claims.get("preferred_username") or "")[:200],
        groups=_groups(claims, config.groups_claim),
        second_factor=provider_did_mfa(claims),
    )


# --- access from groups ---


@dataclass(frozen=True)
class DeskAccess:
    role: str
    support_line: int | None
    team_ids: frozenset[int]
    groups: tuple[str, ...]


def access_from_groups(groups: Iterable[str]) -> DeskAccess | None:
    """What the mapped groups among `groups` give, or None: no access."""
    rows = list(SsoGroupMapping.objects.filter(group__in=list(groups)).prefetch_related("teams"))
    if not rows:
        return None
    role = Role.ADMIN if any(r.role == Role.ADMIN for r in rows) else Role.AGENT
    lines = [r.support_line for r in rows if r.support_line is not None]
    return DeskAccess(
        role=role,
        support_line=max(lines) if lines else None,
        team_ids=frozenset(t.pk for r in rows for t in r.teams.all()),
        groups=tuple(sorted(r.group for r in rows)),
    )


def _no_access() -> SsoRefused:
    return SsoRefused(
        errors.SSO_NO_ACCESS,
        _("Your account has no access to the help desk. Ask your administrator."),
    )


def _customer_refused() -> SsoRefused:
    return SsoRefused(
        errors.SSO_CUSTOMER,
        _(
            "This address belongs to a customer account, which cannot sign in with "
            "single sign-on. Ask your administrator."
        ),
    )


def _sync(user: User, access: DeskAccess) -> list[str]:
    """Give `user` the role, line and managed teams `access` says; the changed fields."""
    changed: list[str] = []
    line = access.support_line
    if access.role == Role.AGENT and line is None:
        line = user.support_line or 1
    wanted = {
        "role": access.role,
        "support_line": line,
        "is_staff": access.role == Role.ADMIN,
        "is_superuser": access.role == Role.ADMIN,
    }
    for field, value in wanted.items():
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    current = set(user.teams.values_list("pk", flat=True))
    joined, left = access.team_ids - current, current - access.team_ids
    if joined:
        user.teams.add(*joined)
        changed.append("teams")
    if left:
        user.teams.remove(*left)
        if "teams" not in changed:
            changed.append("teams")
    return changed


def _known(person: ProviderPerson) -> User | None:
    found = (
        Identity.objects.select_related("user")
        .filter(kind=IdentityKind.OIDC, value=person.identity_value)
        .first()
    )
    return found.user if found is not None else None


def _check_may_sign_in(user: User) -> None:
    if user.role == Role.CUSTOMER:
        raise _customer_refused()
    if not user.is_active:
        raise SsoRefused(
            errors.SSO_INACTIVE,
            _("Your account at the help desk is deactivated. Ask your administrator."),
        )


def _by_address(person: ProviderPerson) -> User | None:
    """An existing account with the person's address: only a verified address may link
    to it. A customer's address, or someone's unverified one, is refused."""
    if not person.email:
        return None
    found = User.objects.filter(email=person.email).first()
    if found is None:
        return None
    if found.role == Role.CUSTOMER:
        raise _customer_refused()
    if not person.email_verified:
        raise SsoRefused(
            errors.SSO_EMAIL_TAKEN,
            _(
                "An account with this address exists, and the provider does not say the "
                "address is verified. Ask your administrator."
            ),
        )
    return found


def _record_identity(user: User, person: ProviderPerson) -> None:
    Identity.objects.create(
        user=user,
        kind=IdentityKind.OIDC,
        value=person.identity_value,
        name=person.name,
        verified=True,
        last_seen_at=timezone.now(),
    )


def _new_agent(person: ProviderPerson, access: DeskAccess) -> User:
    if not person.email:
        raise SsoRefused(
            errors.SSO_FAILED,
            _("The provider did not give an e-mail address. Ask your administrator."),
        )
    try:
        return create_user(
            email=person.email,
            by=None,
            name=person.name,
            role=access.role,
            support_line=access.support_line,
        )
    except ValidationFailed as exc:
        raise SsoRefused(errors.SSO_FAILED, exc.message) from None


def sign_in_person(person: ProviderPerson) -> User:
    """The desk account of the person the provider vouched for: found, linked or made,
    with role and teams synced from the groups. Refusals write nothing."""
    if len(person.identity_value) > 255:
        raise _failed("issuer and subject too long to record")
    access = access_from_groups(person.groups)
    try:
        with transaction.atomic():
            return _sign_in(person, access)
    except IntegrityError:
        # Someone signed in with the same identity at the same moment: once more.
        with transaction.atomic():
            return _sign_in(person, access)


def _sign_in(person: ProviderPerson, access: DeskAccess | None) -> User:
    user = _known(person)
    linked = False
    if user is None:
        user = _by_address(person)
        linked = user is not None
    if user is not None:
        _check_may_sign_in(user)
        if access is None:
            raise _no_access()
        user = User.objects.select_for_update().get(pk=user.pk)
        if linked:
            _record_identity(user, person)
            record_event(user, AccountEventKind.SSO_LINKED, by=None, issuer=person.issuer)
        else:
            Identity.objects.filter(kind=IdentityKind.OIDC, value=person.identity_value).update(
                last_seen_at=timezone.now()
            )
        changed = _sync(user, access)
        if changed:
            record_event(
                user, AccountEventKind.SSO_SYNCED, by=None, fields=changed, groups=access.groups
            )
        return user
    if access is None:
        raise _no_access()
    user = _new_agent(person, access)
    _record_identity(user, person)
    _sync(user, access)
    record_event(
        user, AccountEventKind.SSO_CREATED, by=None, role=access.role, groups=access.groups
    )
    return user


# --- the group mapping, edited by admins ---


def group_mappings(user: User) -> QuerySet[SsoGroupMapping]:
    """Every mapping, for an admin."""
    require_admin(user)
    return SsoGroupMapping.objects.prefetch_related("teams").order_by("group", "id")


def access_group_mapping(user: User, mapping_id: int) -> SsoGroupMapping:
    found = group_mappings(user).filter(pk=mapping_id).first()
    if found is None:
        raise NotFound(_("group mapping"))
    return found


@dataclass(frozen=True)
class MappingFields:
    group: str
    role: str
    support_line: int | None
    team_ids: Sequence[int]


def _clean(fields: MappingFields) -> MappingFields:
    group = fields.group.strip()
    if not group:
        raise ValidationFailed(errors.REQUIRED, _("Enter the group's name."), field="group")
    if len(group) > 255:
        raise ValidationFailed(errors.REQUIRED, _("The group's name is too long."), field="group")
    if fields.role not in (Role.AGENT, Role.ADMIN):
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("The role must be agent or admin."), field="role"
        )
    if fields.support_line is not None and fields.support_line not in (1, 2, 3):
        raise ValidationFailed(
            errors.INVALID_LINE, _("The support line must be 1, 2 or 3."), field="support_line"
        )
    team_ids = sorted(set(fields.team_ids))
    if len(team_ids) != Team.objects.filter(pk__in=team_ids).count():
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown team."), field="teams")
    return MappingFields(group, fields.role, fields.support_line, team_ids)


MAPPING_AUDITED = ("group", "role", "support_line", "teams")


def save_group_mapping(
    mapping: SsoGroupMapping | None, fields: MappingFields, *, by: User
) -> SsoGroupMapping:
    """Create (`mapping` None) or change a mapping. Members' accounts follow it at their
    next sign-in."""
    require_admin(by)
    clean = _clean(fields)
    taken = SsoGroupMapping.objects.filter(group=clean.group)
    if mapping is not None:
        taken = taken.exclude(pk=mapping.pk)
    if taken.exists():
        raise ValidationFailed(
            errors.GROUP_TAKEN, _("This group already has a mapping."), field="group"
        )
    try:
        with transaction.atomic():
            row = mapping or SsoGroupMapping()
            before = audit.snapshot(row, MAPPING_AUDITED) if row.pk else {}
            row.group = clean.group
            row.role = clean.role
            row.support_line = clean.support_line
            row.updated_at = timezone.now()
            row.save()
            row.teams.set(clean.team_ids)
            audit.record_change(
                actor=by,
                area="security",
                action="changed" if before else "created",
                target=row,
                target_type="sso_mapping",
                label=row.group,
                changes=audit.diff(before, audit.snapshot(row, MAPPING_AUDITED)),
            )
            record_event(
                by,
                AccountEventKind.SSO_MAPPING_CHANGED,
                by=by,
                group=row.group,
                role=row.role,
                support_line=row.support_line,
                teams=list(clean.team_ids),
            )
    except IntegrityError:
        raise ValidationFailed(
            errors.GROUP_TAKEN, _("This group already has a mapping."), field="group"
        ) from None
    return row


@transaction.atomic
def delete_group_mapping(mapping: SsoGroupMapping, *, by: User) -> None:
    """Members of the group lose what it gave at their next sign-in (and are refused
    when no other mapped group is left); nobody is signed out now."""
    require_admin(by)
    audit.record_change(
        actor=by,
        area="security",
        action="deleted",
        target=mapping,
        target_type="sso_mapping",
        label=mapping.group,
        changes=audit.diff(audit.snapshot(mapping, MAPPING_AUDITED), {}),
    )
    SsoGroupMapping.objects.filter(pk=mapping.pk).delete()
    record_event(by, AccountEventKind.SSO_MAPPING_CHANGED, by=by, group=mapping.group, deleted=True)
