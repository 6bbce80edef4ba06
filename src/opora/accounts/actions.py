"""Every write to users, organizations, teams and API tokens."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts import errors, tokens
from opora.accounts.models import (
    ApiToken,
    Organization,
    OrganizationDomain,
    Role,
    Team,
    User,
    normalize_email,
)
from opora.core import audit
from opora.core.bulk import create_rows
from opora.core.errors import Forbidden, ValidationFailed

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _require_admin(by: User | None) -> None:
    if by is not None and not by.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may do this."))


# What mail really comes from, beyond what a form accepts: RFC 6532 UTF-8 addresses and
# underscores in domain labels (inbound mail only, `lenient=True`).
_LENIENT_EMAIL = re.compile(r"[^\s@<>()\[\],;:\\\"]{1,64}@(?:[\w-]{1,63}\.)+[\w-]{1,63}")


def clean_email(email: str, *, field: str = "email", lenient: bool = False) -> str:
    address = normalize_email(email)
    try:
        validate_email(address)
    except ValidationError:
        if lenient and len(address) <= 254 and _LENIENT_EMAIL.fullmatch(address):
            return address
        raise ValidationFailed(
            errors.INVALID_EMAIL, _("Enter a valid e-mail address."), field=field
        ) from None
    return address


def organization_for_email(email: str) -> Organization | None:
    """The organization whose registered domain matches the address, if any."""
    domain = email.rsplit("@", 1)[-1].lower()
    found = OrganizationDomain.objects.select_related("organization").filter(domain=domain).first()
    return found.organization if found else None


# What the audit trail notes of people, organizations and teams (accounts/people.py
# has the console's changes).
AREA = "people"
NEW_USER_FIELDS = ("name", "email", "role", "support_line", "is_team_lead", "organization")
ORGANIZATION_FIELDS = ("name", "shared_tickets", "notes", "vip")
TEAM_FIELDS = ("name", "email", "description")


def _note(by: User, action: str, target: Any, changes: dict[str, Any] | None = None) -> None:
    audit.record_change(actor=by, area=AREA, action=action, target=target, changes=changes)


def _org_snapshot(org: Organization) -> dict[str, Any]:
    return {
        **audit.snapshot(org, ORGANIZATION_FIELDS),
        "domains": sorted(org.domains.values_list("domain", flat=True)),
    }


def _team_snapshot(team: Team) -> dict[str, Any]:
    return audit.snapshot(team, (*TEAM_FIELDS, "members"))


def _user_row(
    address: str,
    *,
    name: str,
    role: str,
    organization: Organization | None,
    language: str | None,
    support_line: int | None = None,
    is_team_lead: bool = False,
) -> User:
    return User(
        email=address,
        name=name.strip()[:200],
        role=role,
        support_line=support_line,
        is_team_lead=is_team_lead,
        organization=organization,
        language=language or settings.LANGUAGE_CODE,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )


@transaction.atomic
def create_user(
    *,
    email: str,
    by: User | None,
    name: str = "",
    password: str | None = None,
    role: str = Role.CUSTOMER,
    support_line: int | None = None,
    is_team_lead: bool = False,
    organization: Organization | None = None,
    language: str | None = None,
) -> User:
    """Create an account; customers join their organization by e-mail domain. An
    administrator's creation is noted in the audit trail."""
    user = _create_user(
        email=email,
        by=by,
        name=name,
        password=password,
        role=role,
        support_line=support_line,
        is_team_lead=is_team_lead,
        organization=organization,
        language=language,
    )
    if by is not None:
        _note(by, "created", user, audit.diff({}, audit.snapshot(user, NEW_USER_FIELDS)))
    return user


def _create_user(
    *,
    email: str,
    by: User | None,
    name: str = "",
    password: str | None = None,
    role: str = Role.CUSTOMER,
    support_line: int | None = None,
    is_team_lead: bool = False,
    organization: Organization | None = None,
    language: str | None = None,
) -> User:
    if role != Role.CUSTOMER or by is not None:
        _require_admin(by)
    address = clean_email(email)
    if role not in Role.values:
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown role."), field="role")
    if role == Role.CUSTOMER:
        support_line = None
        is_team_lead = False
    elif role == Role.AGENT and support_line is None:
        support_line = 1
    if support_line is not None and support_line not in (1, 2, 3):
        raise ValidationFailed(
            errors.INVALID_LINE, _("The support line must be 1, 2 or 3."), field="support_line"
        )
    if User.objects.filter(email=address).exists():
        raise ValidationFailed(
            errors.EMAIL_TAKEN, _("An account with this e-mail already exists."), field="email"
        )
    if organization is None and role == Role.CUSTOMER:
        organization = organization_for_email(address)
    user = _user_row(
        address,
        name=name,
        role=role,
        support_line=support_line,
        is_team_lead=is_team_lead,
        organization=organization,
        language=language,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(
                errors.WEAK_PASSWORD, " ".join(exc.messages), field="password"
            ) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(
            errors.EMAIL_TAKEN, _("An account with this e-mail already exists."), field="email"
        ) from None
    return user


def kept_person(user: User) -> User:
    """The account that speaks for `user`: itself, or the customer it was merged into."""
    seen = {user.pk}
    # Merges keep the chain one link long; the bound guards against a hand-made loop.
    while user.merged_into_id is not None and user.merged_into_id not in seen:
        following = User.objects.select_related("organization").get(pk=user.merged_into_id)
        seen.add(following.pk)
        user = following
    return user


def get_or_create_requester(
    email: str, *, name: str = "", language: str | None = None, lenient: bool = False
) -> User:
    """The account behind an incoming address: found, or created as a customer.

    An address of a customer merged into another finds the one it was merged into.
    `lenient`: an address mail came from (see `clean_email`)."""
    address = clean_email(email, lenient=lenient)
    existing = User.objects.select_related("organization").filter(email=address).first()
    if existing is not None:
        return kept_person(existing)
    try:
        return _create_user(email=address, by=None, name=name, language=language)
    except ValidationFailed as exc:
        if exc.code != errors.EMAIL_TAKEN:
            raise
        # Another process created it a moment ago.
        return User.objects.select_related("organization").get(email=address)


def get_or_create_requesters(
    wanted: dict[str, tuple[str, str]], *, lenient: bool = False
) -> dict[str, User]:
    """`get_or_create_requester` for many addresses at once: {address: (name, language)}
    → {address: user}. Addresses that are not valid are left out of the answer."""
    address_of: dict[str, str] = {}
    cleaned: dict[str, tuple[str, str]] = {}
    for raw, details in wanted.items():
        try:
            address_of[raw] = clean_email(raw, lenient=lenient)
        except ValidationFailed:
            continue
        cleaned.setdefault(address_of[raw], details)
    found = {
        u.email: u
        for u in User.objects.select_related("organization").filter(email__in=list(cleaned))
    }
    missing = [a for a in cleaned if a not in found]
    if missing:
        domains = {a.rsplit("@", 1)[-1].lower() for a in missing}
        by_domain = {
            d.domain: d.organization
            for d in OrganizationDomain.objects.select_related("organization").filter(
                domain__in=domains
            )
        }
        rows = []
        for address in missing:
            name, language = cleaned[address]
            user = _user_row(
                address,
                name=name,
                role=Role.CUSTOMER,
                organization=by_domain.get(address.rsplit("@", 1)[-1].lower()),
                language=language,
            )
            user.password = _unusable_password()
            rows.append(user)
        found.update((u.email, u) for u in _insert_requesters(rows, missing))
    merged = {u.merged_into_id for u in found.values() if u.merged_into_id is not None}
    if merged:
        # Addresses of merged duplicates speak for the customers they were merged into.
        kept = {
            u.pk: kept_person(u)
            for u in User.objects.select_related("organization").filter(pk__in=merged)
        }
        found = {
            a: kept[u.merged_into_id] if u.merged_into_id is not None else u
            for a, u in found.items()
        }
    return {raw: found[address] for raw, address in address_of.items() if address in found}


def _unusable_password() -> str:
    """What `set_unusable_password` stores ("!" and 40 random characters), drawn at
    once: the per-character draw cost more than the rest of a new requester's row."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _insert_requesters(rows: list[User], addresses: list[str]) -> list[User]:
    """Insert new customers; the stored rows for all of `addresses`.

    Usually none of them exists: the rows go in as they are and come back with their
    ids, nothing is read again. When another process created some meanwhile (a unique
    conflict), the insert skips those and theirs are read."""
    if connection.features.can_return_rows_from_bulk_insert:
        try:
            with transaction.atomic():
                create_rows(User, rows)
            return rows
        except IntegrityError:
            for row in rows:
                row.pk = None
    User.objects.bulk_create(rows, ignore_conflicts=True)
    return list(User.objects.select_related("organization").filter(email__in=addresses))


def _clean_domains(domains: Sequence[str]) -> list[str]:
    cleaned = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        if not _DOMAIN.match(domain):
            raise ValidationFailed(
                errors.INVALID_DOMAIN,
                _("“%(domain)s” is not a valid domain.") % {"domain": raw},
                field="domains",
            )
        if domain not in cleaned:
            cleaned.append(domain)
    return cleaned


@transaction.atomic
def create_organization(
    *, name: str, by: User, domains: Sequence[str] = (), shared_tickets: bool = False
) -> Organization:
    _require_admin(by)
    title = " ".join(name.split())
    if not title:
        raise ValidationFailed(errors.REQUIRED, _("A name is required."), field="name")
    if Organization.objects.filter(name__iexact=title).exists():
        raise ValidationFailed(
            errors.NAME_TAKEN, _("An organization with this name exists."), field="name"
        )
    cleaned = _clean_domains(domains)
    taken = list(
        OrganizationDomain.objects.filter(domain__in=cleaned).values_list("domain", flat=True)
    )
    if taken:
        raise ValidationFailed(
            errors.DOMAIN_TAKEN,
            _("Domain %(domain)s belongs to another organization.") % {"domain": taken[0]},
            field="domains",
        )
    organization = Organization.objects.create(name=title, shared_tickets=shared_tickets)
    OrganizationDomain.objects.bulk_create(
        [OrganizationDomain(organization=organization, domain=d) for d in cleaned]
    )
    if by is not None:
        _note(by, "created", organization, audit.diff({}, _org_snapshot(organization)))
    # Customers who signed up before the domain was registered join now.
    if cleaned:
        for domain in cleaned:
            User.objects.filter(
                role=Role.CUSTOMER, organization__isnull=True, email__endswith="@" + domain
            ).update(organization=organization)
    return organization


@transaction.atomic
def create_team(
    *, name: str, by: User, email: str = "", description: str = "", members: Sequence[int] = ()
) -> Team:
    _require_admin(by)
    title = " ".join(name.split())
    if not title:
        raise ValidationFailed(errors.REQUIRED, _("A name is required."), field="name")
    if Team.objects.filter(name__iexact=title).exists():
        raise ValidationFailed(errors.NAME_TAKEN, _("A team with this name exists."), field="name")
    address = clean_email(email) if email else ""
    agents = list(User.objects.filter(pk__in=members, role__in=(Role.AGENT, Role.ADMIN)))
    if len(agents) != len(set(members)):
        raise ValidationFailed(
            errors.UNKNOWN_USER, _("Every member must be an agent."), field="members"
        )
    team = Team.objects.create(name=title, email=address, description=description)
    team.members.set(agents)
    _note(by, "created", team, audit.diff({}, _team_snapshot(team)))
    return team


def issue_api_token(user: User, *, name: str = "api") -> tuple[ApiToken, str]:
    """A token with the user's full power and the desk's default lifetime, for scripts,
    the demo and tests; the API and the profile page choose scopes and lifetime
    through `accounts.tokens.issue_token`."""
    return tokens.issue_token(user, name=name)


# --- Used by the workspace and portal pages ---
def set_user_language(user: User, language: str) -> User:
    """Remember the language a user chose for the pages and the e-mails they get."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown language."), field="language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


def mark_undeliverable(addresses: list[str], *, reason: str) -> int:
    """Mail to these addresses bounced for good (a delivery report said so): their
    accounts show it, and automatic mail to them stops (`User.email_undeliverable`).
    Only existing accounts are marked; returns how many."""
    wanted = sorted({normalize_email(a) for a in addresses if a})
    if not wanted:
        return 0
    return User.objects.filter(email__in=wanted).update(
        email_undeliverable_at=timezone.now(), email_undeliverable_reason=reason[:300]
    )


def clear_undeliverable(user: User) -> User:
    """The address works again (an agent checked it): automatic mail resumes."""
    if user.email_undeliverable_at is not None:
        user.email_undeliverable_at = None
        user.email_undeliverable_reason = ""
        user.save(update_fields=["email_undeliverable_at", "email_undeliverable_reason"])
    return user
