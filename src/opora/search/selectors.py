"""Reads of the synonym vocabulary and `access_synonym_group`: administrators only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.accounts.selectors import require_admin
from opora.core.errors import NotFound
from opora.search.models import SynonymGroup


def synonym_groups(user: User, *, language: str | None = None) -> QuerySet[SynonymGroup]:
    """Every group (of one language if given), in order; administrators only."""
    require_admin(user)
    groups = SynonymGroup.objects.order_by("language", "id")
    return groups.filter(language=language) if language else groups


def access_synonym_group(user: User, group_id: int) -> SynonymGroup:
    require_admin(user)
    group = SynonymGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFound(_("synonym group"))
    return group
