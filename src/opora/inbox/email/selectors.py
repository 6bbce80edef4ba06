"""Who may see and change mailboxes (administrators only), and who may read a stored
e-mail of a ticket."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.inbox.email import errors
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.email.reading import read, shown
from opora.tickets.selectors import access_ticket, visible_messages


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


@dataclass(frozen=True)
class RawOfMessage:
    """The stored e-mail a ticket message came from."""

    raw_id: int
    trimmed: bool  # the ticket shows it shortened


def raw_of_messages(message_ids: list[int]) -> dict[int, RawOfMessage]:
    """message id -> its stored e-mail, for the messages that came by e-mail: one query."""
    if not message_ids:
        return {}
    rows = RawMessage.objects.filter(ticket_message_id__in=message_ids).values_list(
        "ticket_message_id", "pk", "trimmed"
    )
    return {message_id: RawOfMessage(pk, trimmed) for message_id, pk, trimmed in rows}


def access_raw_message(user: User, number: int, message_id: int) -> RawMessage:
    """The e-mail a message of a ticket came from, exactly as received.

    The desk's people who can see the ticket may read it; a customer only the mail they
    sent themselves (never anybody else's, nor a message hidden from them)."""
    ticket = access_ticket(user, number)
    message = visible_messages(user, ticket).filter(pk=message_id).first()
    if message is None or (not user.is_agent and message.author_id != user.pk):
        raise NotFound(_("message"))
    raw = RawMessage.objects.filter(ticket_message=message).order_by("id").first()
    if raw is None:
        raise NotFound(_("original e-mail"))
    return raw


def full_content(raw_id: int) -> tuple[str, str]:
    """(text, sanitized HTML) of a stored e-mail whole, quoted history included."""
    raw = RawMessage.objects.get(pk=raw_id)
    reading = read(raw, fallback_language="en")
    return shown(reading, reply=False)
