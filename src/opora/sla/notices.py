"""The mails the SLA app sends to people of the desk and to customers.

Each one is written in its recipient's language (the person's own setting; for a
customer, the language of their request) and links to the page that recipient opens:
agents and leads get the agent ticket page, whose URL comes from `reverse`, so a
notice never points at a page that does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.tickets.models import Priority, Ticket

logger = logging.getLogger("opora.sla")


def agent_ticket_url(ticket: Ticket) -> str:
    """The ticket's page in the agent workspace, as an absolute link."""
    return settings.BASE_URL + reverse("agent:ticket", args=[ticket.number])


def language_of(user: User | None, ticket: Ticket) -> str:
    """The person's own language, else the ticket's."""
    return (user.language if user is not None else "") or ticket.language or settings.LANGUAGE_CODE


def _when(moment: datetime | None, user: User) -> str:
    if moment is None:
        return "—"
    try:
        zone = ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone.key})"


def _desk_people(users: Iterable[User | None]) -> list[User]:
    """Active people of the desk with an address, each once, in id order."""
    found = {u.pk: u for u in users if isinstance(u, User) and u.is_active and u.email}
    return [found[pk] for pk in sorted(found)]


def _send(user: User, subject: str, body: str, *, ticket: Ticket) -> None:
    try:
        send_mail(subject, body, None, [user.email])
    except OSError:  # the event is recorded; a mail outage must not stop the caller
        logger.exception("could not send a notice about ticket %s to %s", ticket.pk, user.pk)


def send_sla_notice(ticket: Ticket, kind: str, recipients: Iterable[User | None]) -> int:
    """An at-risk ("at_risk") or breach ("breached") notice to each recipient, in their
    language; returns how many were sent."""
    # Each person chooses in their profile whether they get these (User.notify_sla).
    people = [u for u in _desk_people(recipients) if u.notify_sla]
    for user in people:
        with translation.override(language_of(user, ticket)):
            label = _("breached") if kind == "breached" else _("at risk")
            subject = _("[#%(number)s] SLA %(state)s: %(subject)s") % {
                "number": ticket.number,
                "state": label,
                "subject": ticket.subject,
            }
            body = "\n".join(
                [
                    _("Ticket #%(number)s (priority: %(priority)s) is %(state)s.")
                    % {
                        "number": ticket.number,
                        "priority": Priority(ticket.priority).label,
                        "state": label,
                    },
                    _("First response due: %(when)s")
                    % {"when": _when(ticket.first_response_due_at, user)},
                    _("Resolution due: %(when)s") % {"when": _when(ticket.resolution_due_at, user)},
                    "",
                    agent_ticket_url(ticket),
                    "",
                ]
            )
        _send(user, subject, body, ticket=ticket)
    return len(people)


def send_escalation_notice(
    ticket: Ticket, *, level: str, reason: str, recipients: Iterable[User | None]
) -> int:
    """Tell the people now responsible that a ticket was moved up to `level`."""
    people = _desk_people(recipients)
    for user in people:
        with translation.override(language_of(user, ticket)):
            where = _("the team lead") if level == "lead" else _("line %(line)s") % {"line": level}
            subject = _("[#%(number)s] Escalated to %(level)s: %(subject)s") % {
                "number": ticket.number,
                "level": where,
                "subject": ticket.subject,
            }
            body = "\n".join(
                [
                    _("Ticket #%(number)s was escalated to %(level)s.")
                    % {"number": ticket.number, "level": where},
                    _("Reason: %(reason)s") % {"reason": reason},
                    _("Resolution due: %(when)s") % {"when": _when(ticket.resolution_due_at, user)},
                    "",
                    agent_ticket_url(ticket),
                    "",
                ]
            )
        _send(user, subject, body, ticket=ticket)
    return len(people)


def problem_solved_texts(problem: Ticket, incident: Ticket) -> tuple[str, str]:
    """The internal note and the customer's notice on an incident of a solved problem:
    the note in its assignee's language, the notice in the request's."""
    with translation.override(language_of(incident.assignee, incident)):
        note = _("Problem #%(number)s is solved; this incident can be closed.") % {
            "number": problem.number
        }
    with translation.override(language_of(None, incident)):
        notice = _(
            "Good news: the cause of your request (problem #%(number)s, "
            "“%(subject)s”) has been fixed. Please let us know if anything still does "
            "not work."
        ) % {"number": problem.number, "subject": problem.subject}
    return note, notice
