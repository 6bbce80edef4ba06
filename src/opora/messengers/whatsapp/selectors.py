"""Who may see and change the desk's WhatsApp numbers: administrators only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import NotFound
from opora.messengers.models import WhatsAppNumber
from opora.messengers.selectors import require_channel_admin


def visible_numbers(user: User) -> QuerySet[WhatsAppNumber]:
    require_channel_admin(user)
    return WhatsAppNumber.objects.select_related("team").order_by("name", "id")


def access_number(user: User, number_id: int) -> WhatsAppNumber:
    found = visible_numbers(user).filter(pk=number_id).first()
    if found is None:
        raise NotFound(_("WhatsApp number"))
    return found
