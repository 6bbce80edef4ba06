"""Reads of people and groups, and who may see them."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts import errors
from opora.accounts.models import ApiToken, Organization, Team, User, hash_token
from opora.core.errors import Forbidden, ValidationFailed
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
def _user_sql() -> str:
    quote = connection.ops.quote_name
    # Identifiers come from the models' metadata, quoted; the id is a parameter.
    return (
        f"SELECT {columns(User, 'u')}, {columns(Organization, 'o')}"  # noqa: S608
        f" FROM {quote(User._meta.db_table)} u"
        f" LEFT JOIN {quote(Organization._meta.db_table)} o ON o.id = u.organization_id"
        " WHERE u.id = %s"
    )


def user_by_id(pk: int) -> User | None:
    """A user with their organization, by id (one fixed statement: API creates for a
    requester given by id run it on every call)."""
    with connection.cursor() as cursor:
        cursor.execute(_user_sql(), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(User._meta.concrete_fields)
    user = from_row(User, row[:width])
    organization = row[width:]
    user.organization = (
        from_row(Organization, organization) if organization[0] is not None else None
    )
    return user
