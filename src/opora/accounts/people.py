"""People in the admin console: agents, customers, organizations and teams (each an
administrator's change, checked and audited)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from opora.accounts import errors, tokens
from opora.accounts.actions import (
    _clean_domains,
    _create_user,
    _note,
    _org_snapshot,
    _require_admin,
    _team_snapshot,
    clean_email,
)
from opora.accounts.domain_events import AgentDeactivated
from opora.accounts.models import (
    Language,
    Organization,
    OrganizationDomain,
    Role,
    Team,
    User,
)
from opora.core import audit
from opora.core.dispatch import publish
from opora.core.errors import ValidationFailed

# --- People in the admin console: agents, customers, organizations, teams ---
# Every write below is an administrator's change: checked with `_require_admin`
# before anything is written, noted with `audit.record_change(area="people")` in its
# own transaction.

AGENT_FIELDS = (
    "name",
    "email",
    "role",
    "support_line",
    "is_team_lead",
    "skills",
    "languages",
    "cost_per_hour",
    "time_zone",
    "is_active",
)
CUSTOMER_FIELDS = ("name", "email", "phone", "language", "organization", "notify_by_email")
MAX_SKILLS = 30
MAX_RATE = Decimal("99999999.99")


def _with_teams(snap: dict[str, Any], user: User) -> dict[str, Any]:
    return {**snap, "teams": sorted(user.teams.values_list("pk", flat=True))}


def clean_skills(skills: Sequence[str]) -> list[str]:
    """Free tags, lower-cased, each once, in the order given."""
    cleaned: list[str] = []
    for raw in skills:
        tag = " ".join(str(raw).split()).lower()
        if not tag:
            continue
        if len(tag) > 40:
            raise ValidationFailed(
                errors.INVALID_SKILL, _("A skill is at most 40 characters."), field="skills"
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_SKILLS:
        raise ValidationFailed(errors.INVALID_SKILL, _("Too many skills."), field="skills")
    return cleaned


def clean_languages(languages: Sequence[str]) -> list[str]:
    cleaned = []
    for code in languages:
        if code not in Language.values:
            raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown language."), field="languages")
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def clean_time_zone(name: str) -> str:
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            errors.INVALID_TIME_ZONE, _("Unknown time zone."), field="time_zone"
        ) from None
    return name.strip()


def clean_rate(value: Decimal | int | str | None) -> Decimal:
    try:
        rate = Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        rate = Decimal(-1)
    if not (Decimal(0) <= rate <= MAX_RATE):
        raise ValidationFailed(
            errors.INVALID_RATE,
            _("The cost per hour is a number from 0 up."),
            field="cost_per_hour",
        )
    return rate


def _teams(ids: Sequence[int]) -> list[Team]:
    found = list(Team.objects.filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown team."), field="teams")
    return found


def _other_active_admins(user: User) -> bool:
    return (
        User.objects.select_for_update()
        .filter(role=Role.ADMIN, is_active=True)
        .exclude(pk=user.pk)
        .exists()
    )


def _guard_admins(user: User, *, by: User, demoted: bool, deactivated: bool) -> None:
    """Nobody locks the desk out: an admin does not demote or deactivate themselves,
    and the last active admin stays one."""
    if not (demoted or deactivated) or user.role != Role.ADMIN:
        return
    if user.pk == by.pk:
        raise ValidationFailed(
            errors.OWN_ACCOUNT,
            _("You cannot demote or deactivate your own account; ask another administrator."),
            field="role" if demoted else "",
        )
    if user.is_active and not _other_active_admins(user):
        raise ValidationFailed(
            errors.LAST_ADMIN,
            _("This is the last active administrator: make someone else one first."),
            field="role" if demoted else "",
        )


@dataclass
class AgentDetails:
    """What an administrator sets on an agent; None leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    role: str | None = None
    support_line: int | None = None
    is_team_lead: bool | None = None
    teams: Sequence[int] | None = None
    skills: Sequence[str] | None = None
    languages: Sequence[str] | None = None
    cost_per_hour: Decimal | int | str | None = None
    time_zone: str | None = None


def _apply_agent(user: User, details: AgentDetails) -> list[Team] | None:
    """Set the checked values on `user` (not saved); returns the teams to set, if any."""
    if details.name is not None:
        user.name = " ".join(details.name.split())[:200]
    if details.email is not None:
        address = clean_email(details.email)
        if User.objects.filter(email=address).exclude(pk=user.pk).exists():
            raise ValidationFailed(
                errors.EMAIL_TAKEN, _("An account with this e-mail already exists."), field="email"
            )
        user.email = address
    if details.role is not None:
        if details.role not in (Role.AGENT, Role.ADMIN):
            raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown role."), field="role")
        user.role = details.role
        user.is_staff = user.is_superuser = details.role == Role.ADMIN
    if details.support_line is not None:
        if details.support_line not in (1, 2, 3):
            raise ValidationFailed(
                errors.INVALID_LINE, _("The support line must be 1, 2 or 3."), field="support_line"
            )
        user.support_line = details.support_line
    if details.is_team_lead is not None:
        user.is_team_lead = details.is_team_lead
    if details.skills is not None:
        user.skills = clean_skills(details.skills)
    if details.languages is not None:
        user.languages = clean_languages(details.languages)
    if details.cost_per_hour is not None:
        user.cost_per_hour = clean_rate(details.cost_per_hour)
    if details.time_zone is not None:
        user.time_zone = clean_time_zone(details.time_zone)
    return _teams(details.teams) if details.teams is not None else None


@transaction.atomic
def create_agent(*, email: str, by: User, details: AgentDetails) -> User:
    """A new agent or admin (no password: they set one from an invitation or sign in
    with single sign-on)."""
    _require_admin(by)
    role = details.role or Role.AGENT
    probe = User(role=role, support_line=details.support_line or 1)
    teams = _apply_agent(probe, AgentDetails(**{**details.__dict__, "email": None}))
    user = _create_user(
        email=email,
        by=by,
        name=probe.name,
        role=role,
        support_line=probe.support_line,
        is_team_lead=probe.is_team_lead,
    )
    for field in ("skills", "languages", "cost_per_hour", "time_zone"):
        setattr(user, field, getattr(probe, field))
    user.save(update_fields=["skills", "languages", "cost_per_hour", "time_zone"])
    if teams is not None:
        user.teams.set(teams)
    _note(
        by, "created", user, audit.diff({}, _with_teams(audit.snapshot(user, AGENT_FIELDS), user))
    )
    return user


def _locked_staff(user: User) -> User:
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_agent:
        raise ValidationFailed(errors.NOT_AGENT, _("This person is not an agent."))
    return locked


@transaction.atomic
def update_agent(user: User, details: AgentDetails, *, by: User) -> User:
    _require_admin(by)
    user = _locked_staff(user)
    before = _with_teams(audit.snapshot(user, AGENT_FIELDS), user)
    was_admin = user.role == Role.ADMIN
    teams = _apply_agent(user, details)
    _guard_admins(
        User(pk=user.pk, role=Role.ADMIN, is_active=user.is_active),
        by=by,
        demoted=was_admin and user.role != Role.ADMIN,
        deactivated=False,
    )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(
            errors.EMAIL_TAKEN, _("An account with this e-mail already exists."), field="email"
        ) from None
    if teams is not None:
        user.teams.set(teams)
    _note(
        by,
        "changed",
        user,
        audit.diff(before, _with_teams(audit.snapshot(user, AGENT_FIELDS), user)),
    )
    return user


def _sign_out_everywhere(user: User, *, by: User) -> None:
    """Every browser session ends and every API token stops working."""
    from opora.accounts.sessions import revoke_session, sessions_of

    for session in list(sessions_of(user)):
        revoke_session(session, by=by)
    for token in tokens.tokens_of(user).filter(revoked_at__isnull=True):
        tokens.revoke_token(token, by=by)


@transaction.atomic
def deactivate_agent(user: User, *, by: User, reassign_to: User | None = None) -> User:
    """The agent can no longer sign in; their open tickets go to `reassign_to` or, when
    None, back to their team's unassigned queue (the tickets app does it, subscribed
    to `AgentDeactivated` in this transaction); sessions and tokens are revoked."""
    _require_admin(by)
    user = _locked_staff(user)
    if not user.is_active:
        raise ValidationFailed(errors.ALREADY_INACTIVE, _("This account is already deactivated."))
    _guard_admins(user, by=by, demoted=False, deactivated=True)
    if reassign_to is not None and (
        reassign_to.pk == user.pk or not reassign_to.is_active or not reassign_to.is_agent
    ):
        raise ValidationFailed(
            errors.UNKNOWN_USER,
            _("Open tickets can go to another active agent only."),
            field="reassign_to",
        )
    publish([AgentDeactivated(agent=user, reassign_to=reassign_to, by=by)])
    user.is_active = False
    user.save(update_fields=["is_active"])
    _sign_out_everywhere(user, by=by)
    _note(
        by,
        "deactivated",
        user,
        {
            "is_active": [True, False],
            "reassign_to": [None, reassign_to.pk if reassign_to else None],
        },
    )
    return user


@transaction.atomic
def reactivate_agent(user: User, *, by: User) -> User:
    _require_admin(by)
    user = _locked_staff(user)
    if user.is_active:
        raise ValidationFailed(errors.ALREADY_ACTIVE, _("This account is active."))
    user.is_active = True
    user.save(update_fields=["is_active"])
    _note(by, "reactivated", user, {"is_active": [False, True]})
    return user


# Customers


@dataclass
class CustomerDetails:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    organization: int | None = None
    clear_organization: bool = False
    notify_by_email: bool | None = None


def _locked_customer(user: User) -> User:
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.role != Role.CUSTOMER:
        raise ValidationFailed(errors.NOT_CUSTOMER, _("This person is not a customer."))
    return locked


@transaction.atomic
def update_customer(user: User, details: CustomerDetails, *, by: User) -> User:
    _require_admin(by)
    user = _locked_customer(user)
    before = audit.snapshot(user, CUSTOMER_FIELDS)
    if details.name is not None:
        user.name = " ".join(details.name.split())[:200]
    if details.email is not None:
        address = clean_email(details.email)
        if User.objects.filter(email=address).exclude(pk=user.pk).exists():
            raise ValidationFailed(
                errors.EMAIL_TAKEN, _("An account with this e-mail already exists."), field="email"
            )
        user.email = address
    if details.phone is not None:
        user.phone = details.phone.strip()[:40]
    if details.language is not None:
        if details.language not in Language.values:
            raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown language."), field="language")
        user.language = details.language
    if details.clear_organization:
        user.organization = None
    elif details.organization is not None:
        found = Organization.objects.filter(pk=details.organization).first()
        if found is None:
            raise ValidationFailed(
                errors.UNKNOWN_ORGANIZATION, _("no such organization"), field="organization"
            )
        user.organization = found
    if details.notify_by_email is not None:
        user.notify_by_email = details.notify_by_email
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(
            errors.EMAIL_TAKEN, _("An account with this e-mail already exists."), field="email"
        ) from None
    _note(by, "changed", user, audit.diff(before, audit.snapshot(user, CUSTOMER_FIELDS)))
    return user


@transaction.atomic
def set_customer_blocked(user: User, *, blocked: bool, by: User) -> User:
    """Block (or unblock) a customer: what they send is kept but opens no ticket, and
    they cannot sign in to the portal (their sessions end at once)."""
    _require_admin(by)
    user = _locked_customer(user)
    if user.blocked == blocked:
        return user
    user.blocked = blocked
    user.save(update_fields=["blocked"])
    if blocked:
        _sign_out_everywhere(user, by=by)
    _note(by, "blocked" if blocked else "unblocked", user, {"blocked": [not blocked, blocked]})
    return user


# Organizations


@dataclass
class OrganizationDetails:
    name: str | None = None
    domains: Sequence[str] | None = None
    shared_tickets: bool | None = None
    notes: str | None = None
    vip: bool | None = None


@transaction.atomic
def update_organization(
    org: Organization, details: OrganizationDetails, *, by: User
) -> Organization:
    _require_admin(by)
    org = Organization.objects.select_for_update().get(pk=org.pk)
    before = _org_snapshot(org)
    if details.name is not None:
        title = " ".join(details.name.split())
        if not title:
            raise ValidationFailed(errors.REQUIRED, _("A name is required."), field="name")
        if Organization.objects.filter(name__iexact=title).exclude(pk=org.pk).exists():
            raise ValidationFailed(
                errors.NAME_TAKEN, _("An organization with this name exists."), field="name"
            )
        org.name = title
    for field in ("shared_tickets", "notes", "vip"):
        value = getattr(details, field)
        if value is not None:
            setattr(org, field, value)
    org.save()
    if details.domains is not None:
        cleaned = _clean_domains(details.domains)
        taken = list(
            OrganizationDomain.objects.filter(domain__in=cleaned)
            .exclude(organization=org)
            .values_list("domain", flat=True)
        )
        if taken:
            raise ValidationFailed(
                errors.DOMAIN_TAKEN,
                _("Domain %(domain)s belongs to another organization.") % {"domain": taken[0]},
                field="domains",
            )
        OrganizationDomain.objects.filter(organization=org).exclude(domain__in=cleaned).delete()
        have = set(org.domains.values_list("domain", flat=True))
        OrganizationDomain.objects.bulk_create(
            [OrganizationDomain(organization=org, domain=d) for d in cleaned if d not in have]
        )
        _join_by_domain(org, [d for d in cleaned if d not in have])
    _note(by, "changed", org, audit.diff(before, _org_snapshot(org)))
    return org


def _join_by_domain(org: Organization, domains: Sequence[str]) -> None:
    """Customers without an organization whose address is in a new domain join it."""
    for domain in domains:
        User.objects.filter(
            role=Role.CUSTOMER, organization__isnull=True, email__endswith="@" + domain
        ).update(organization=org)


@transaction.atomic
def delete_organization(org: Organization, *, by: User) -> None:
    """Only an empty organization goes: no members and no tickets."""
    _require_admin(by)
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if org.members.exists() or org.tickets.exists():
        raise ValidationFailed(
            errors.NOT_EMPTY,
            _("This organization still has members or tickets; move them first."),
        )
    before = _org_snapshot(org)
    _note(by, "deleted", org, audit.diff(before, {}))
    org.delete()


# Teams


@dataclass
class TeamDetails:
    name: str | None = None
    email: str | None = None
    description: str | None = None
    members: Sequence[int] | None = None


@transaction.atomic
def update_team(team: Team, details: TeamDetails, *, by: User) -> Team:
    _require_admin(by)
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = _team_snapshot(team)
    if details.name is not None:
        title = " ".join(details.name.split())
        if not title:
            raise ValidationFailed(errors.REQUIRED, _("A name is required."), field="name")
        if Team.objects.filter(name__iexact=title).exclude(pk=team.pk).exists():
            raise ValidationFailed(
                errors.NAME_TAKEN, _("A team with this name exists."), field="name"
            )
        team.name = title
    if details.email is not None:
        team.email = clean_email(details.email) if details.email.strip() else ""
    if details.description is not None:
        team.description = details.description
    team.save()
    if details.members is not None:
        agents = list(
            User.objects.filter(pk__in=set(details.members), role__in=(Role.AGENT, Role.ADMIN))
        )
        if len(agents) != len(set(details.members)):
            raise ValidationFailed(
                errors.UNKNOWN_USER, _("Every member must be an agent."), field="members"
            )
        team.members.set(agents)
    _note(by, "changed", team, audit.diff(before, _team_snapshot(team)))
    return team


@transaction.atomic
def delete_team(team: Team, *, by: User) -> None:
    """Only a team without tickets (and without a chat widget) goes."""
    _require_admin(by)
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.tickets.exists():
        raise ValidationFailed(
            errors.HAS_TICKETS, _("This team has tickets; move them to another team first.")
        )
    before = _team_snapshot(team)
    _note(by, "deleted", team, audit.diff(before, {}))
    try:
        with transaction.atomic():
            team.delete()
    except ProtectedError:
        raise ValidationFailed(
            errors.NOT_EMPTY, _("This team is still used (a chat widget sends chats to it).")
        ) from None
