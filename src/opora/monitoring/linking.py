"""Customer tickets about an incident: which ones look like it (suggestions), linking
them to its problem ticket in bulk, one answer to all of them, and the notice when the
incident is resolved, in each customer's language.

A linked ticket is an ordinary incident ticket of the problem (`Ticket.problem`, set by
tickets' `link_problem`), so the ticket page, the problem's list of incidents and the
reports see the link as they see any other.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import ValidationFailed
from opora.monitoring import errors
from opora.monitoring.models import Incident
from opora.tickets.actions import add_automated_reply, add_message, link_problem
from opora.tickets.models import ACTIVE_STATUSES, Ticket, TicketType
from opora.tickets.selectors import access_ticket, visible_tickets

# Tickets opened this long before the first failure may be about it too.
WINDOW_BEFORE = timedelta(hours=2)
SUGGESTIONS = 50
MAX_BULK = 500
MAX_ANSWER = 10_000


def keywords(incident: Incident) -> list[str]:
    """What a customer would name: the monitor's names and host, the component
    group, and the words the agent added to the incident (comma-separated)."""
    found: list[str] = [w.strip() for w in incident.keywords.split(",")]
    monitor = incident.monitor
    if monitor is not None:
        found += [monitor.name, monitor.public_name, monitor.public_group]
        target = monitor.target
        host = urlsplit(target).hostname if "://" in target else target.split(":")[0]
        if host:
            found.append(host.removeprefix("www."))
    words = {w for w in (f.strip() for f in found) if len(w) >= 3}
    return sorted(words)


def _variants(word: str) -> set[str]:
    # SQLite compares only ASCII letters case-insensitively: "Магазин" must be asked
    # for as written by people, lower, capitalized and upper case.
    return {word, word.lower(), word.capitalize(), word.upper()}


def suggestions(user: User, incident: Incident, limit: int = SUGGESTIONS) -> list[Ticket]:
    """Open customer tickets the agent may see, opened from a little before the first
    failure until now (or the resolution), not yet linked to a problem, whose subject
    or customer messages name one of the incident's keywords."""
    if incident.ticket_id is None:
        return []
    words = keywords(incident)
    if not words:
        return []
    match = Q()
    for word in words:
        for variant in _variants(word):
            match |= Q(subject__contains=variant)
            match |= Q(messages__body__contains=variant, messages__internal=False)
    until = incident.resolved_at or timezone.now()
    found = (
        visible_tickets(user)
        .filter(
            created_at__gte=incident.started_at - WINDOW_BEFORE,
            created_at__lte=until,
            status__in=ACTIVE_STATUSES,
            problem__isnull=True,
        )
        .exclude(type=TicketType.PROBLEM)
        .exclude(pk=incident.ticket_id)
        .filter(match)
        .select_related("requester")
        .distinct()
        .order_by("-created_at", "-id")
    )
    return list(found[:limit])


def linked_tickets(incident: Incident) -> QuerySet[Ticket]:
    if incident.ticket_id is None:
        return Ticket.objects.none()
    return (
        Ticket.objects.filter(problem_id=incident.ticket_id)
        .select_related("requester")
        .order_by("-created_at", "-id")
    )


def _problem(incident: Incident) -> Ticket:
    if incident.ticket is None:
        raise ValidationFailed(
            errors.NO_PROBLEM_TICKET, _("This incident has no problem ticket to link to.")
        )
    return incident.ticket


def link_tickets(incident: Incident, numbers: list[int], *, by: User) -> list[Ticket]:
    """Link the customer tickets to the incident's problem: all or none (a number the
    agent may not open, or one that cannot be linked, refuses the whole batch)."""
    problem = _problem(incident)
    numbers = list(dict.fromkeys(numbers))
    if not numbers:
        raise ValidationFailed(
            errors.NOTHING_SELECTED, _("Choose at least one ticket."), field="tickets"
        )
    if len(numbers) > MAX_BULK:
        raise ValidationFailed(
            errors.NOTHING_SELECTED,
            _("At most %(limit)s tickets at once.") % {"limit": MAX_BULK},
            field="tickets",
        )
    linked: list[Ticket] = []
    with transaction.atomic():
        for number in numbers:
            ticket = access_ticket(by, number, for_update=True)
            linked.append(link_problem(ticket, problem, by=by))
    return linked


def _clean_answer(body: str) -> str:
    body = (body or "").strip()
    if len(body) > MAX_ANSWER:
        raise ValidationFailed(
            errors.INVALID_ANSWER,
            _("At most %(limit)s characters.") % {"limit": MAX_ANSWER},
            field="body",
        )
    return body


def answer_all(incident: Incident, *, by: User, bodies: dict[str, str]) -> int:
    """One reply to every open linked ticket, as from the agent: the text of the
    ticket's language, else the other one (a macro with a text per language)."""
    texts = {lang: _clean_answer(text) for lang, text in bodies.items() if lang in ("en", "ru")}
    texts = {lang: text for lang, text in texts.items() if text}
    if not texts:
        raise ValidationFailed(errors.INVALID_ANSWER, _("Write the answer."), field="body")
    fallback = next(iter(texts.values()))
    tickets = list(linked_tickets(incident).filter(status__in=ACTIVE_STATUSES))
    with transaction.atomic():
        for ticket in tickets:
            add_message(ticket, by=by, body=texts.get(ticket.language, fallback))
    return len(tickets)


def resolution_notice(incident: Incident, language: str) -> str:
    with translation.override(language):
        if incident.monitor is not None:
            what = incident.public_title or incident.monitor.shown_name
        else:
            what = incident.public_title or incident.title
        return _(
            "Good news: the problem you wrote about (“%(what)s”) has been fixed and "
            "everything works again. If something still does not work for you, just "
            "reply to this message."
        ) % {"what": what}


def tell_customers(incident_id: int, *, by: User) -> int:
    """The resolution notice to every open linked ticket, in its language, once per
    resolution (a job; `customers_told_at` keeps a repeated run from telling twice)."""
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("monitor")
            .filter(pk=incident_id, resolved_at__isnull=False, customers_told_at__isnull=True)
            .first()
        )
        if incident is None:
            return 0
        tickets = list(linked_tickets(incident).filter(status__in=ACTIVE_STATUSES))
        for ticket in tickets:
            notice = resolution_notice(incident, ticket.language)
            add_automated_reply(ticket, by=by, body=notice, deliver=True)
        incident.customers_told_at = timezone.now()
        incident.save(update_fields=["customers_told_at"])
    return len(tickets)
