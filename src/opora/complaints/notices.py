"""What the complaint care writes: the customer's acknowledgement (a message on the
ticket, delivered through its channel's outbox like any reply) and the desk's mails
(escalation, reminders), each in its reader's language."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.mail import send_mail
from django.utils import formats, translation
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.complaints.models import Complaint
from opora.sla.notices import agent_ticket_url, language_of
from opora.tickets.models import Ticket

logger = logging.getLogger("opora.complaints")


def _date(moment: datetime, zone_name: str) -> str:
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return str(formats.date_format(moment.astimezone(zone), "DATE_FORMAT"))


def acknowledgement(ticket: Ticket, complaint: Complaint) -> str:
    """The customer's acknowledgement, in the request's language, with the deadline
    as a date in the customer's time zone."""
    with translation.override(language_of(None, ticket)):
        when = _date(complaint.due_at, getattr(ticket.requester, "time_zone", "UTC"))
        return "\n\n".join(
            [
                _("Hello,"),
                _(
                    "We have registered your message as a complaint (request #%(number)s) "
                    "and passed it to the people responsible."
                )
                % {"number": ticket.number},
                _("You will have our answer by %(date)s at the latest.") % {"date": when},
                _("If you want to add anything, simply reply to this message."),
            ]
        )


def _people(users: Iterable[User | None]) -> list[User]:
    found = {u.pk: u for u in users if isinstance(u, User) and u.is_active and u.email}
    return [found[pk] for pk in sorted(found)]


def _send(user: User, subject: str, body: str, ticket: Ticket) -> None:
    try:
        send_mail(subject, body, None, [user.email])
    except OSError:  # the outbox keeps it; a mail outage must not stop the caller
        logger.exception("could not mail complaint notice on ticket %s to %s", ticket.pk, user.pk)


def escalated(ticket: Ticket, complaint: Complaint, leads: Iterable[User | None]) -> int:
    """Tell the lead that a complaint was escalated (a repeat complainer, a VIP)."""
    people = _people(leads)
    for user in people:
        with translation.override(language_of(user, ticket)):
            reasons = ", ".join(
                _("repeat complainer") if r == "repeat" else _("VIP organization")
                for r in complaint.escalations
            )
            subject = _("[#%(number)s] Complaint escalated: %(subject)s") % {
                "number": ticket.number,
                "subject": ticket.subject,
            }
            body = "\n".join(
                [
                    _("Complaint #%(number)s was escalated (%(reasons)s).")
                    % {"number": ticket.number, "reasons": reasons},
                    _("Answer due: %(date)s") % {"date": _date(complaint.due_at, user.time_zone)},
                    "",
                    agent_ticket_url(ticket),
                    "",
                ]
            )
        _send(user, subject, body, ticket)
    return len(people)


def reminder(ticket: Ticket, complaint: Complaint, recipients: Iterable[User | None]) -> int:
    """Remind the person responsible that a complaint's deadline is near."""
    people = _people(recipients)
    for user in people:
        with translation.override(language_of(user, ticket)):
            subject = _("[#%(number)s] Complaint due %(date)s: %(subject)s") % {
                "number": ticket.number,
                "date": _date(complaint.due_at, user.time_zone),
                "subject": ticket.subject,
            }
            body = "\n".join(
                [
                    _("The answer to complaint #%(number)s is due %(date)s.")
                    % {"number": ticket.number, "date": _date(complaint.due_at, user.time_zone)},
                    "",
                    agent_ticket_url(ticket),
                    "",
                ]
            )
        _send(user, subject, body, ticket)
    return len(people)
