"""SLA background jobs: the periodic breach check, escalation rules, the dev webhook."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from opora.accounts.models import User
from opora.core import clock as wall_clock
from opora.core.dispatch import publish
from opora.core.scheduler import register_periodic
from opora.sla import actions, notices
from opora.sla.domain_events import SlaWarned
from opora.sla.models import DevHandoff, HandoffStatus, SlaState, TicketSla
from opora.sla.webhooks import signed_headers
from opora.tickets import actions as ticket_actions
from opora.tickets import clock
from opora.tickets import events as ev
from opora.tickets.models import ACTIVE_STATUSES, EventKind, Priority, Ticket

logger = logging.getLogger("opora.sla")
# Tickets looked at per run; the rest wait for the next run (bounded work per tick).
CHECK_BATCH = 500
WEBHOOK_TIMEOUT_SECONDS = 10


@task()
def check_sla() -> dict[str, int]:
    """Mark tickets at risk and breached, notify assignee and team lead, apply risk rules."""
    now = timezone.now()
    counts = {"at_risk": 0, "breached": 0}
    due = list(
        TicketSla.objects.filter(
            due_at__lte=now, breached_at__isnull=True, ticket__status__in=ACTIVE_STATUSES
        ).values_list("ticket_id", flat=True)[:CHECK_BATCH]
    )
    warn = list(
        TicketSla.objects.filter(
            warn_at__lte=now, warned_at__isnull=True, ticket__status__in=ACTIVE_STATUSES
        ).values_list("ticket_id", flat=True)[:CHECK_BATCH]
    )
    for ticket_id in dict.fromkeys(due + warn):
        kind = _mark(ticket_id, now)
        if kind:
            counts[kind] += 1
    return counts


def _mark(ticket_id: int, now: Any) -> str | None:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            return None
        # The clock may have paused or moved since it was last computed.
        fields = clock.refresh(ticket, now)
        if fields:
            ticket.save(update_fields=fields)
        sla = TicketSla.objects.get(ticket=ticket)
        kind = None
        if sla.due_at is not None and sla.due_at <= now and sla.breached_at is None:
            kind, sla.breached_at = "breached", now
            if sla.warned_at is None:
                sla.warned_at = now
        elif sla.warn_at is not None and sla.warn_at <= now and sla.warned_at is None:
            kind, sla.warned_at = "at_risk", now
        if kind is None:
            return None
        sla.state = SlaState.BREACHED if kind == "breached" else SlaState.AT_RISK
        sla.save(update_fields=["breached_at", "warned_at", "state"])
        target = "resolution" if sla.due_at == ticket.resolution_due_at else "response"
        warning = ev.sla_event(
            ticket=ticket,
            kind=EventKind.SLA_BREACHED if kind == "breached" else EventKind.SLA_AT_RISK,
            target=target,
            due_at=sla.due_at.isoformat() if sla.due_at else "",
        )
        publish([SlaWarned(ticket=ticket, kind=kind, event_id=warning.pk)])
    _notify(ticket, kind)
    actions.apply_escalation_rules(ticket)
    return kind


def _notify(ticket: Ticket, kind: str) -> None:
    """The assignee and the team lead hear of it, each in their own language."""
    notices.send_sla_notice(
        ticket, kind, [ticket.assignee if ticket.assignee_id else None, actions.team_lead(ticket)]
    )


register_periodic(check_sla, every=timedelta(seconds=settings.SLA_CHECK_SECONDS))


@task()
def apply_escalation_rules_task(ticket_id: int) -> bool:
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    return ticket is not None and actions.apply_escalation_rules(ticket) is not None


def handoff_payload(handoff: DevHandoff) -> dict[str, Any]:
    problem = handoff.problem

    def brief(t: Ticket) -> dict[str, Any]:
        return {
            "number": t.number,
            "subject": t.subject,
            "status": t.status,
            "priority": Priority(t.priority).code,
            "organization": t.organization.name if t.organization else None,
            "created_at": t.created_at.isoformat(),
            "url": notices.agent_ticket_url(t),
        }

    incidents = problem.incidents.select_related("organization").order_by("number")
    return {
        "event": "problem.handed_to_development",
        "problem": brief(problem),
        "incidents": [brief(t) for t in incidents],
        "callback_url": f"{settings.BASE_URL}/api/v1/sla/dev-callback",
    }


@task()
def deliver_dev_webhook(handoff_id: int) -> str:
    """POST the signed hand-off; on failure retry later with doubling back-off."""
    handoff = DevHandoff.objects.select_related("problem__organization").get(pk=handoff_id)
    if handoff.delivery == HandoffStatus.DELIVERED:
        return handoff.delivery
    body = json.dumps(handoff_payload(handoff), ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is the admin's own setting
        settings.DEV_WEBHOOK_URL,
        data=body,
        method="POST",
        headers=signed_headers(settings.DEV_WEBHOOK_SECRET, body),
    )
    handoff.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            ok = 200 <= response.status < 300
            error = "" if ok else f"HTTP {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        ok, error = False, str(exc)[:500]
    if ok:
        handoff.delivery = HandoffStatus.DELIVERED
        handoff.delivered_at = timezone.now()
        handoff.last_error = ""
    elif handoff.attempts >= settings.DEV_WEBHOOK_ATTEMPTS:
        handoff.delivery = HandoffStatus.FAILED
        handoff.last_error = error
    else:
        handoff.last_error = error
        delay = settings.DEV_WEBHOOK_BACKOFF_SECONDS * 2 ** (handoff.attempts - 1)
        deliver_dev_webhook.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            handoff.pk
        )
    handoff.save(update_fields=["attempts", "delivery", "delivered_at", "last_error"])
    return handoff.delivery


@task()
def notify_problem_solved(problem_id: int) -> int:
    """Every incident of a solved problem gets a note, and its requester an update."""
    problem = Ticket.objects.filter(pk=problem_id).first()
    if problem is None:
        return 0
    handoff = DevHandoff.objects.filter(problem=problem).select_related("created_by").first()
    agent = (handoff.created_by if handoff else None) or problem.assignee
    if agent is None:
        agent = User.objects.filter(role="admin", is_active=True).order_by("id").first()
    if agent is None:
        return 0
    done = 0
    incidents = problem.incidents.filter(status__in=ACTIVE_STATUSES).select_related("assignee")
    for incident in incidents.order_by("id"):
        note, notice = notices.problem_solved_texts(problem, incident)
        # Both are the desk's automation, not an agent's answer: no first response,
        # no status move, no reply in FCR (docs/kpi.md); the notice reaches the customer.
        ticket_actions.add_automated_reply(incident, by=agent, body=note, internal=True)
        ticket_actions.add_automated_reply(incident, by=agent, body=notice, deliver=True)
        done += 1
    return done


RECLOCK_BATCH = 200


@task()
def reclock_open_tickets() -> int:
    """Recompute the SLA clock of every open ticket after the policies or calendars
    changed (the console and the API queue this once per change); returns how many.

    Batches of tickets, each locked and saved in a transaction of its own, as any
    ticket change would, so a long run never holds many locks at once."""
    now = wall_clock.now()
    ids = list(
        Ticket.objects.filter(status__in=ACTIVE_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), RECLOCK_BATCH):
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update()
                .filter(pk__in=ids[start : start + RECLOCK_BATCH], status__in=ACTIVE_STATUSES)
                .order_by("pk")
            )
            changed = clock.clock().recompute(
                tickets, at={t.pk: now for t in tickets}, time_logged=False
            )
            for ticket in tickets:
                if changed[ticket.pk]:
                    ticket.save(update_fields=changed[ticket.pk])
    return len(ids)
