"""Incident updates and the resolution by hand.

An agent (an admin, or a lead of the incident's team) posts updates from the
incident's page or the API: public ones appear on the status page at once and go to
its confirmed e-mail subscribers; internal ones stay with the desk. An update with
the status "resolved" resolves the incident, as the monitor's recovery does; either
way the linked customers are told, in their language (`linking.tell_customers`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.audit import record_change
from opora.core.errors import ValidationFailed
from opora.core.tasks import enqueue_after_commit
from opora.monitoring import actions, errors, status
from opora.monitoring.models import Incident, IncidentUpdate, UpdateStatus
from opora.monitoring.selectors import require_manager
from opora.tickets.actions import add_message

MAX_BODY = 5000


def post_update(
    incident: Incident, *, by: User, status_: str, body: str, public: bool = True
) -> IncidentUpdate:
    require_manager(by)
    if status_ not in UpdateStatus.values:
        raise ValidationFailed(errors.INVALID_UPDATE, _("Choose a status."), field="status")
    body = (body or "").strip()
    if not body or len(body) > MAX_BODY:
        raise ValidationFailed(
            errors.INVALID_UPDATE,
            _("Write the update (at most %(limit)s characters).") % {"limit": MAX_BODY},
            field="body",
        )
    from opora.monitoring.tasks import mail_status_update

    with transaction.atomic():
        update = IncidentUpdate.objects.create(
            incident=incident, status=status_, body=body, public=public, author=by
        )
        if incident.ticket is not None:
            prefix = _("Public update") if public else _("Internal update")
            label = UpdateStatus(status_).label
            add_message(incident.ticket, by=by, body=f"{prefix} ({label}):\n{body}", internal=True)
        record_change(
            actor=by,
            area=actions.AREA,
            action="incident_update",
            target_type="incident",
            target_id=incident.pk,
            label=incident.title[:100],
            changes={"status": status_, "public": public},
        )
        if status_ == UpdateStatus.RESOLVED and incident.resolved_at is None:
            _resolve(incident, by=by)
        if public:
            status.rebuild_after_commit()
            enqueue_after_commit(mail_status_update, update.pk)
    return update


def _resolve(incident: Incident, *, by: User) -> None:
    from opora.monitoring.tasks import tell_linked_customers

    incident.resolved_at = max(timezone.now(), incident.started_at)
    incident.save(update_fields=["resolved_at"])
    status.rebuild_after_commit()
    enqueue_after_commit(tell_linked_customers, incident.pk)


def resolve_by_hand(incident: Incident, *, by: User, note: str = "") -> Incident:
    """An agent says it is over (an alert that never sends "resolved", a fix the
    monitor cannot see). Resolving a resolved incident changes nothing."""
    require_manager(by)
    if incident.resolved_at is not None:
        return incident
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("ticket")
            .get(pk=incident.pk)
        )
        if incident.resolved_at is not None:
            return incident
        _resolve(incident, by=by)
        if incident.ticket is not None:
            text = _("Resolved by hand by %(name)s.") % {"name": by.display_name}
            add_message(incident.ticket, by=by, body=f"{text}\n{note}".strip(), internal=True)
        record_change(
            actor=by,
            area=actions.AREA,
            action="incident_resolved",
            target_type="incident",
            target_id=incident.pk,
            label=incident.title[:100],
        )
    return incident


def change_incident(incident: Incident, *, by: User, public_title: str, keywords: str) -> Incident:
    """What the status page calls it, and the words customer tickets about it contain."""
    require_manager(by)
    public_title, keywords = public_title.strip(), keywords.strip()
    if len(public_title) > 300 or len(keywords) > 300:
        raise ValidationFailed(
            errors.INVALID_UPDATE, _("At most %(limit)s characters.") % {"limit": 300}
        )
    with transaction.atomic():
        incident.public_title = public_title
        incident.keywords = keywords
        incident.save(update_fields=["public_title", "keywords"])
        record_change(
            actor=by,
            area=actions.AREA,
            action="incident_changed",
            target_type="incident",
            target_id=incident.pk,
            label=incident.title[:100],
            changes={"public_title": public_title, "keywords": keywords},
        )
        status.rebuild_after_commit()
    return incident
