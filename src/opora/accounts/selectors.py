"""Reads of people and groups, and who may see them."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from opora.accounts import errors
from opora.accounts.identities import clean_phone
from opora.accounts.models import (
    ApiToken,
    Identity,
    Organization,
    Role,
    Team,
    User,
    hash_token,
)
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.core.rows import columns, from_row


def require_agent(user: User) -> None:
    """Directories of users, organizations and teams are for the desk's staff."""
    if not user.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may list this."))


def visible_users(user: User) -> QuerySet[User]:
    require_agent(user)
    return User.objects.select_related("organization").order_by("email")


def visible_organizations(user: User) -> QuerySet[Organization]:
    require_agent(user)
    return Organization.objects.prefetch_related("domains").order_by("name")


def visible_teams(user: User) -> QuerySet[Team]:
    require_agent(user)
    return Team.objects.prefetch_related("members").order_by("name")


def access_user(viewer: User, user_id: int) -> User:
    """A person the viewer may look up (agents: anyone `visible_users` shows); anyone
    else, and a missing id, get NotFound, so ids reveal nothing to customers."""
    if not (viewer.is_active and viewer.is_agent):
        raise NotFound(_("user"))
    found = visible_users(viewer).filter(pk=user_id).select_related("merged_into").first()
    if found is None:
        raise NotFound(_("user"))
    return found


def access_customer(viewer: User, user_id: int) -> User:
    """`access_user` for a customer's card: agents and admins are no customers."""
    found = access_user(viewer, user_id)
    if found.role != Role.CUSTOMER:
        raise NotFound(_("customer"))
    return found


def may_merge_customers(viewer: User) -> bool:
    """Merging people rewrites whose tickets are whose: for team leads and admins."""
    return viewer.is_active and (viewer.is_admin or (viewer.is_agent and viewer.is_team_lead))


def require_merger(viewer: User) -> None:
    if not may_merge_customers(viewer):
        raise Forbidden(errors.LEADS_ONLY, _("Only team leads and administrators may do this."))


def access_identity(user: User, identity_id: int) -> Identity:
    """One of `user`'s stored identities (loaded through `access_user` first)."""
    found = Identity.objects.filter(pk=identity_id, user=user).first()
    if found is None:
        raise NotFound(_("identity"))
    return found


def handle_variants(value: str) -> set[str]:
    """The forms one address, phone number or account name may be stored in: a phone
    typed "+7 (900) 123-45-67" in one place is "+79001234567" or "79001234567" in
    another, an address or a messenger name differs in case."""
    text = value.strip()
    if not text:
        return set()
    variants = {text, text.lower(), text.lstrip("@").lower()}
    phone = clean_phone(text)
    looks_like_phone = len(phone) > 6 and all(ch in "+-() .0123456789" for ch in text)
    if looks_like_phone:
        variants |= {phone, phone[1:]}
    return variants


def _handles(user: User) -> set[str]:
    values = [i.value for i in Identity.objects.filter(user=user)]
    if user.reachable_by_email:
        values.append(user.email)
    if user.phone:
        values.append(user.phone)
    found: set[str] = set()
    for value in values:
        found |= handle_variants(value)
    return found


def possible_duplicates(viewer: User, user: User, *, limit: int = 10) -> list[User]:
    """Other active customers who may be the same person as `user`: one of them holds an
    address, phone or account name `user` holds (under any kind: a phone typed in a
    chat, a WhatsApp number), or both have the same name and organization (an account
    without an organization may belong to any)."""
    handles = sorted(_handles(user))
    match = Q(pk__in=[])
    if handles:
        match |= Q(email__in=handles) | Q(phone__in=handles)
        match |= Q(pk__in=Identity.objects.filter(value__in=handles).values("user_id"))
    name = " ".join(user.name.split())
    if name:
        same_name = Q(name__iexact=name)
        if user.organization_id is not None:
            same_name &= Q(organization_id=user.organization_id) | Q(organization__isnull=True)
        match |= same_name
    return list(
        visible_users(viewer)
        .filter(match, role=Role.CUSTOMER, is_active=True, merged_into__isnull=True)
        .exclude(pk=user.pk)
        .order_by("name", "email", "id")[:limit]
    )


def organization_by_id(organization_id: int, *, field: str = "organization") -> Organization:
    """An organization named in input; unknown is a mistake in the input (422), not a 404."""
    found = Organization.objects.filter(pk=organization_id).first()
    if found is None:
        raise ValidationFailed(errors.UNKNOWN_ORGANIZATION, _("no such organization"), field=field)
    return found


def access_own_token(user: User, raw: str) -> ApiToken:
    """The user's own API token with this raw value (the one their request was made with)."""
    found = user.api_tokens.filter(key_hash=hash_token(raw)).first() if raw else None
    if found is None:
        raise ValidationFailed(errors.NO_TOKEN, _("This request was not made with a token."))
    return found


@cache
def _users_sql(count: int) -> str:
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * count)
    # Identifiers come from the models' metadata, quoted; the ids are parameters.
    return (
        f"SELECT {columns(User, 'u')}, {columns(Organization, 'o')}"  # noqa: S608
        f" FROM {quote(User._meta.db_table)} u"
        f" LEFT JOIN {quote(Organization._meta.db_table)} o ON o.id = u.organization_id"
        f" WHERE u.id IN ({marks})"
    )


def user_by_id(pk: int) -> User | None:
    """A user with their organization, by id (one fixed statement: API creates for a
    requester given by id run it on every call)."""
    return users_by_id([pk]).get(pk)


def users_by_id(pks: Collection[int]) -> dict[int, User]:
    """Users with their organizations, by id, in one statement (the API's grouped
    creates read a group's requesters together); unknown ids are left out."""
    wanted = sorted(set(pks))
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_users_sql(len(wanted)), wanted)
        rows = cursor.fetchall()
    width = len(User._meta.concrete_fields)
    found = {}
    for row in rows:
        user = from_row(User, row[:width])
        organization = row[width:]
        user.organization = (
            from_row(Organization, organization) if organization[0] is not None else None
        )
        found[user.pk] = user
    return found


PEOPLE_SEARCH_LIMIT = 10


def search_people(
    viewer: User, q: str, *, roles: tuple[str, ...] = (Role.CUSTOMER,), limit: int = 10
) -> list[User]:
    """People of these roles whose name, e-mail or phone (own or a channel identity)
    contains `q`: the type-ahead of the ticket page and `GET /customers/search`.

    Agents only; merged-away and deactivated people are left out, so nobody picks an
    account that no longer takes tickets."""
    require_agent(viewer)
    text = q.strip()
    if len(text) < 2:
        return []
    limit = max(1, min(limit, 50))
    match = Q(name__icontains=text) | Q(email__icontains=text)
    phone = clean_phone(text)
    if len(phone) >= 4:  # "+" and at least three digits
        match |= Q(phone__contains=phone[1:]) | Q(
            pk__in=Identity.objects.filter(kind="phone", value__contains=phone[1:]).values(
                "user_id"
            )
        )
    people = User.objects.filter(
        match, role__in=roles, is_active=True, merged_into__isnull=True
    ).select_related("organization")
    return list(people.order_by("name", "email", "id")[:limit])


# --- People in the admin console ---


def require_admin(user: User) -> None:
    if not (user.is_active and user.is_admin):
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may do this."))


def may_see_agents(user: User) -> bool:
    """Admins manage agents; a team lead sees (only sees) the agents of their teams."""
    return user.is_active and (user.is_admin or (user.is_agent and user.is_team_lead))


def agent_directory(
    viewer: User,
    *,
    q: str = "",
    role: str | None = None,
    line: int | None = None,
    team: int | None = None,
    active: bool | None = None,
) -> QuerySet[User]:
    """Agents and admins the viewer may see, filtered as the console's list asks."""
    if not may_see_agents(viewer):
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may do this."))
    found = User.objects.filter(role__in=(Role.AGENT, Role.ADMIN))
    if not viewer.is_admin:
        found = found.filter(teams__in=viewer.teams.all()).distinct()
    if q.strip():
        text = q.strip()
        found = found.filter(Q(email__icontains=text) | Q(name__icontains=text))
    if role in (Role.AGENT, Role.ADMIN):
        found = found.filter(role=role)
    if line in (1, 2, 3):
        found = found.filter(support_line=line)
    if team is not None:
        found = found.filter(teams__pk=team)
    if active is not None:
        found = found.filter(is_active=active)
    return found.prefetch_related("teams").order_by("name", "email", "id")


def access_agent(viewer: User, user_id: int) -> User:
    """An agent or admin the viewer may see in the console (NotFound otherwise)."""
    found = agent_directory(viewer).filter(pk=user_id).first() if may_see_agents(viewer) else None
    if found is None:
        raise NotFound(_("agent"))
    return found


def customer_directory(viewer: User, *, q: str = "", blocked: bool | None = None) -> QuerySet[User]:
    require_admin(viewer)
    found = User.objects.filter(role=Role.CUSTOMER, merged_into__isnull=True)
    if q.strip():
        text = q.strip()
        found = found.filter(
            Q(email__icontains=text) | Q(name__icontains=text) | Q(phone__icontains=text)
        )
    if blocked is not None:
        found = found.filter(blocked=blocked)
    return found.select_related("organization").order_by("name", "email", "id")


def access_organization(viewer: User, organization_id: int) -> Organization:
    require_admin(viewer)
    found = Organization.objects.filter(pk=organization_id).first()
    if found is None:
        raise NotFound(_("organization"))
    return found


def access_team(viewer: User, team_id: int) -> Team:
    require_admin(viewer)
    found = Team.objects.filter(pk=team_id).first()
    if found is None:
        raise NotFound(_("team"))
    return found
