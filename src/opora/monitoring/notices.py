"""Who hears of a new incident: the agents of its team (its lead included), else the
admins, by e-mail in each one's language; in the workspace the problem ticket appears
in the team's queue live, as any new ticket does."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from opora.accounts.models import Role, User
from opora.monitoring.models import Incident

logger = logging.getLogger("opora.monitoring")


def recipients(incident: Incident) -> list[User]:
    staff = User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.ADMIN]).exclude(email="")
    if incident.team_id is not None:
        found = list(staff.filter(teams=incident.team_id).order_by("id"))
        if found:
            return found
    return list(staff.filter(role=Role.ADMIN).order_by("id"))


def incident_opened(incident_id: int) -> int:
    incident = Incident.objects.select_related("ticket").filter(pk=incident_id).first()
    if incident is None or incident.ticket is None:
        return 0
    ticket = incident.ticket
    link = settings.BASE_URL + reverse("agent:ticket", args=[ticket.number])
    people = recipients(incident)
    for user in people:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("[#%(number)s] Incident: %(title)s") % {
                "number": ticket.number,
                "title": incident.title,
            }
            body = "\n".join(
                [
                    _("An incident was opened as problem #%(number)s.") % {"number": ticket.number},
                    incident.title,
                    "",
                    *(f"{k}: {str(v)[:300]}" for k, v in incident.evidence.items() if v),
                    "",
                    link,
                    "",
                ]
            )
        try:
            send_mail(subject, body, None, [user.email])
        except OSError:  # the incident stands; a mail outage must not undo it
            logger.exception("could not tell %s about incident %s", user.pk, incident.pk)
    return len(people)
