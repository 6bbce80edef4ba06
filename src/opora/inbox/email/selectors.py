"""Who may see and change mailboxes: administrators only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.inbox.email import errors
from opora.inbox.email.models import Mailbox


def require_mailbox_admin(user: User) -> None:
    """Mailboxes hold server names and credential locations: administrators' business."""
    if not user.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may manage mailboxes."))


def visible_mailboxes(user: User) -> QuerySet[Mailbox]:
    require_mailbox_admin(user)
    return Mailbox.objects.select_related("team").order_by("address", "id")


def access_mailbox(user: User, mailbox_id: int) -> Mailbox:
    found = visible_mailboxes(user).filter(pk=mailbox_id).first()
    if found is None:
        raise NotFound(_("mailbox"))
    return found
