"""Reads of people and groups, and who may see them."""

from __future__ import annotations

from django.db.models import QuerySet

from opora.accounts.models import Organization, Team, User
from opora.core.errors import Forbidden, NotFound


def require_agent(user: User) -> None:
    """Directories of users, organizations and teams are for the desk's staff."""
    if not user.is_agent:
        raise Forbidden("agents_only", "only agents may list this")


def visible_users(user: User) -> QuerySet[User]:
    require_agent(user)
    return User.objects.select_related("organization").order_by("email")


def visible_organizations(user: User) -> QuerySet[Organization]:
    require_agent(user)
    return Organization.objects.prefetch_related("domains").order_by("name")


def visible_teams(user: User) -> QuerySet[Team]:
    require_agent(user)
    return Team.objects.prefetch_related("members").order_by("name")


def access_organization(user: User, organization_id: int) -> Organization:
    found = visible_organizations(user).filter(pk=organization_id).first()
    if found is None:
        raise NotFound("organization")
    return found


def access_team(user: User, team_id: int) -> Team:
    found = visible_teams(user).filter(pk=team_id).first()
    if found is None:
        raise NotFound("team")
    return found
