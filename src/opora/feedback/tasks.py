"""The rating request e-mail, sent after a ticket is solved."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils import translation
from django_tasks import task

from opora.core.text import render_text
from opora.feedback.actions import rating_url, record_rating_request
from opora.tickets.models import Ticket, TicketStatus


@task()
def send_rating_request(ticket_id: int) -> bool:
    """Ask the requester to rate a solved ticket, once; safe to run twice."""
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
    if ticket is None or ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return False
    if not ticket.requester.email or not record_rating_request(ticket):
        return False
    context = {"ticket": ticket, "url": rating_url(ticket), "scores": range(1, 6)}
    with translation.override(ticket.language):
        subject = render_text("emails/rating-request-subject.txt", context).strip()
        body = render_text("emails/rating-request-body.txt", context)
    send_mail(subject, body, None, [ticket.requester.email])
    return True
