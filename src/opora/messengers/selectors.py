"""Who may see and change the desk's messenger accounts (administrators only), and
where a ticket's conversation is."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.messengers import errors
from opora.messengers.models import Conversation, TelegramBot
from opora.tickets.models import Ticket


def require_channel_admin(user: User) -> None:
    """Bots hold tokens that speak for the company: administrators' business."""
    if not user.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may manage messengers."))


def visible_bots(user: User) -> QuerySet[TelegramBot]:
    require_channel_admin(user)
    return TelegramBot.objects.select_related("team").order_by("name", "id")


def access_bot(user: User, bot_id: int) -> TelegramBot:
    found = visible_bots(user).filter(pk=bot_id).first()
    if found is None:
        raise NotFound(_("Telegram bot"))
    return found


def conversation_for(ticket: Ticket, channel: str) -> Conversation | None:
    """The chat the desk's replies on `ticket` go to: the one the ticket was written
    from, else the requester's latest on this channel (a ticket an agent opened)."""
    found = (
        Conversation.objects.filter(channel=channel, ticket_id=ticket.pk)
        .order_by("-updated_at", "-id")
        .first()
    )
    if found is None and ticket.requester_id is not None:
        found = (
            Conversation.objects.filter(channel=channel, user_id=ticket.requester_id)
            .order_by("-updated_at", "-id")
            .first()
        )
    return found


def unreachable_conversations(user: User, channel: str) -> QuerySet[Conversation]:
    """The person's chats on `channel` that refuse the desk's messages."""
    return Conversation.objects.filter(channel=channel, user=user, unreachable_at__isnull=False)
