"""Reads of the outbox: deliveries of a ticket's messages, and `access_delivery`."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.inbox import errors
from opora.inbox.models import Delivery
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
