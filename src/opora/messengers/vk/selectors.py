"""Who may see and change the desk's VK communities (administrators only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import NotFound
from opora.messengers.models import VkCommunity
from opora.messengers.selectors import require_channel_admin


def visible_communities(user: User) -> QuerySet[VkCommunity]:
    require_channel_admin(user)
    return VkCommunity.objects.select_related("team").order_by("name", "id")


def access_community(user: User, community_id: int) -> VkCommunity:
    found = visible_communities(user).filter(pk=community_id).first()
    if found is None:
        raise NotFound(_("VK community"))
    return found
