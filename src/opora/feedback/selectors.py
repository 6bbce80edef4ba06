"""Reads of satisfaction ratings."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opora.core.errors import NotFound
from opora.feedback.models import Rating
from opora.tickets.models import Ticket


def ticket_rating(ticket: Ticket) -> Rating:
    """The ticket's rating. Precondition: the ticket was loaded with `access_ticket`."""
    rating = Rating.objects.filter(ticket=ticket).first()
    if rating is None:
        raise NotFound(_("rating"))
    return rating
