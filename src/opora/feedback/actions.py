"""Ratings: asked for when a ticket is solved, given once, changeable for a while."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core import clock as wall_clock
from opora.core.errors import Forbidden, ValidationFailed
from opora.feedback import errors
from opora.feedback.models import Rating, RatingRequest
from opora.tickets import events as ev
from opora.tickets.models import Ticket, TicketStatus

TOKEN_SALT = "opora.feedback.rating"  # noqa: S105 - a namespace, not a secret
# A rating link stays valid for this long after it was sent.
TOKEN_MAX_AGE = timedelta(days=90)


def rating_token(ticket: Ticket) -> str:
    """A signed, unguessable token naming the ticket and its requester."""
    return signing.dumps({"t": ticket.pk, "r": ticket.requester_id}, salt=TOKEN_SALT)


def rating_url(ticket: Ticket) -> str:
    return f"{settings.BASE_URL}/feedback/{rating_token(ticket)}/"


def ticket_for_token(token: str) -> Ticket:
    """The ticket a rating link points to; ValidationFailed when forged or expired."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        return Ticket.objects.select_related("requester").get(
            pk=int(data["t"]), requester_id=int(data["r"])
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, Ticket.DoesNotExist):
        raise ValidationFailed(
            errors.BAD_TOKEN, _("This rating link is invalid or has expired."), field="token"
        ) from None


@transaction.atomic
def rate_ticket(ticket: Ticket, *, by: User, score: int, comment: str = "") -> Rating:
    """Record (or, within OPORA_CSAT_CHANGE_DAYS, change) the requester's rating."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if by.pk != ticket.requester_id:
        raise Forbidden(errors.NOT_REQUESTER, _("Only the requester may rate a ticket."))
    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        raise ValidationFailed(
            errors.NOT_SOLVED, _("A ticket can be rated once it is solved."), field="score"
        )
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(
            errors.INVALID_SCORE, _("The rating must be from 1 to 5."), field="score"
        )
    now = wall_clock.now()
    rating = Rating.objects.filter(ticket=ticket).first()
    previous = rating.score if rating else None
    if rating is None:
        rating = Rating(ticket=ticket, created_at=now)
    elif now - rating.created_at > timedelta(days=settings.CSAT_CHANGE_DAYS):
        raise ValidationFailed(
            errors.RATING_LOCKED,
            _("The rating can no longer be changed."),
            field="score",
        )
    rating.score = score
    rating.comment = comment.strip()[:5000]
    rating.updated_at = now
    rating.save()
    ev.rated_event(ticket=ticket, by=by, previous=previous, score=score)
    return rating


def record_rating_request(ticket: Ticket) -> bool:
    """Note that the requester was asked; False when they were asked before."""
    _, created = RatingRequest.objects.get_or_create(
        ticket=ticket, defaults={"sent_at": wall_clock.now()}
    )
    return created
