"""Reads of the outbox: deliveries of a ticket's messages, and `access_delivery`."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage, Message

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.core.html import sanitize_html
from opora.inbox import errors
from opora.inbox.models import OUTBOX_CHANNELS, Delivery, DeliveryState
from opora.tickets.models import Ticket
from opora.tickets.selectors import access_ticket


def latest_deliveries(message_ids: Iterable[int]) -> dict[int, Delivery]:
    """Message id → its latest delivery, for the messages that have one (one query)."""
    found: dict[int, Delivery] = {}
    ids = sorted(set(message_ids))
    if not ids:
        return found
    rows = Delivery.objects.filter(ticket_message_id__in=ids).only(
        "id", "ticket_message_id", "channel", "state", "error", "attempts", "sent_at"
    )
    for row in rows.order_by("id"):
        assert row.ticket_message_id is not None
        found[row.ticket_message_id] = row
    return found


def ticket_deliveries(ticket: Ticket) -> dict[int, Delivery]:
    """`latest_deliveries` of every message of the ticket (one query)."""
    found: dict[int, Delivery] = {}
    rows = (
        Delivery.objects.filter(ticket=ticket, ticket_message__isnull=False)
        .only("id", "ticket_message_id", "channel", "state", "error", "attempts", "sent_at")
        .order_by("id")
    )
    for row in rows:
        assert row.ticket_message_id is not None
        found[row.ticket_message_id] = row
    return found


def access_delivery(user: User, number: int, delivery_id: int) -> Delivery:
    """A delivery of ticket `number` that `user` may send again: agents who can see
    the ticket. Anyone else, or a delivery of another ticket, is not found."""
    ticket = access_ticket(user, number)
    found = Delivery.objects.select_related("ticket").filter(pk=delivery_id, ticket=ticket).first()
    if found is None:
        raise NotFound(_("delivery"))
    if not user.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may send a reply again."))
    return found


# The outbox page and API: administrators see every mail the desk sent or tried to.


def require_outbox_admin(user: User) -> None:
    """Every customer's address and every mail the desk sent: administrators' business."""
    if not user.is_admin:
        raise Forbidden(errors.ADMINS_ONLY, _("Only administrators may open the outbox."))


def outbox(
    user: User, *, state: str | None = None, before_id: int | None = None
) -> QuerySet[Delivery]:
    """The desk's mail, newest first (keyset: ids below `before_id`)."""
    require_outbox_admin(user)
    rows = Delivery.objects.filter(channel__in=OUTBOX_CHANNELS).select_related("ticket")
    if state in DeliveryState.values:
        rows = rows.filter(state=state)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return rows.defer("rendered").order_by("-id")


def access_outbox_delivery(user: User, delivery_id: int) -> Delivery:
    require_outbox_admin(user)
    found = (
        Delivery.objects.filter(pk=delivery_id, channel__in=OUTBOX_CHANNELS)
        .select_related("ticket")
        .first()
    )
    if found is None:
        raise NotFound(_("delivery"))
    return found


@dataclass(frozen=True)
class ReadableMail:
    """A stored mail as the outbox page shows it: headers, text, and sanitized HTML."""

    sender: str
    to: str
    subject: str
    date: str
    text: str
    html: str  # sanitized: no scripts, no remote images (and the page's CSP forbids them)


def readable(delivery: Delivery) -> ReadableMail | None:
    """The stored message of a delivery, for reading it in the app; None if none kept."""
    raw = bytes(delivery.rendered or b"")
    if not raw:
        return None
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    text = _content(text_part)
    html = _content(html_part)
    return ReadableMail(
        sender=str(parsed.get("From", "")),
        to=str(parsed.get("To", "")),
        subject=str(parsed.get("Subject", "")),
        date=str(parsed.get("Date", "")),
        text=text,
        html=sanitize_html(html) if html else "",
    )


def _content(part: Message | None) -> str:
    if not isinstance(part, EmailMessage):
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        return ""
    return content if isinstance(content, str) else ""
