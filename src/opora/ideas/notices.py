"""Telling voters that an idea moved: each in their language, on the suggestion
ticket where they asked (through its channel, like any notice of the desk), else by
e-mail; both go through the one outbox (`inbox/delivery.py`)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from opora.accounts.models import Role, User
from opora.core import clock
from opora.ideas.models import IdeaStatus, StatusChange, Vote
from opora.tickets import actions as ticket_actions
from opora.tickets.models import TicketStatus

logger = logging.getLogger("opora.ideas")


def notice_text(status: str, title: str) -> str:
    """The voter's notice in the active language."""
    texts = {
        IdeaStatus.UNDER_REVIEW: _(
            "The idea you asked for, “%(title)s”, is now under review. Thank you for your vote."
        ),
        IdeaStatus.PLANNED: _("Good news: “%(title)s”, the idea you asked for, is now planned."),
        IdeaStatus.DONE: _(
            "Good news: “%(title)s”, which you asked for, is out. Thank you for suggesting it!"
        ),
        IdeaStatus.DECLINED: _(
            "We have decided not to go ahead with “%(title)s” for now. Thank you for suggesting it."
        ),
        IdeaStatus.NEW: _("The idea you asked for, “%(title)s”, is open again."),
    }
    return texts[IdeaStatus(status)] % {"title": title}


def _sender(change: StatusChange) -> User | None:
    """Who the notice is from: the agent who changed the status, else an admin."""
    if change.by is not None and change.by.is_agent:
        return change.by
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()


def notify_voters(change_id: int) -> int:
    """Send each voter of the idea its new status, once per change; returns how many."""
    with transaction.atomic():
        change = (
            StatusChange.objects.select_for_update(of=("self",))
            .select_related("idea", "by")
            .filter(pk=change_id, notified_at__isnull=True)
            .first()
        )
        if change is None:
            return 0
        sender = _sender(change)
        link = settings.BASE_URL + reverse("ideas:idea", args=[change.idea_id])
        votes = change.idea.votes.select_related("customer", "ticket").order_by("id")
        sent = sum(_notify(vote, change, sender, link) for vote in votes)
        change.notified_at = clock.now()
        change.save(update_fields=["notified_at"])
    return sent


def _notify(vote: Vote, change: StatusChange, sender: User | None, link: str) -> bool:
    customer = vote.customer
    if not customer.is_active:
        return False
    with translation.override(customer.language or settings.LANGUAGE_CODE):
        text = notice_text(change.status, change.idea.title)
        subject = _("Your idea: %(title)s") % {"title": change.idea.title}
        body = f"{text}\n\n{link}\n"
    ticket = vote.ticket
    if ticket is not None and ticket.status != TicketStatus.CLOSED and sender is not None:
        # The desk's automation, not an agent's answer: no status move, no first
        # response; it reaches the customer through the ticket's own channel.
        ticket_actions.add_automated_reply(ticket, by=sender, body=body, deliver=True)
        return True
    if not customer.email or customer.email_undeliverable_at is not None:
        return False
    try:
        send_mail(subject, body, None, [customer.email])
    except OSError:  # the status stands; a mail outage must not undo it
        logger.exception("could not tell %s about idea %s", customer.pk, change.idea_id)
        return False
    return True
