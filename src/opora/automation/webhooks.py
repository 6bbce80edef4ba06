"""Outbound webhooks: signed JSON about ticket events, POSTed to the admin's endpoints.

Each event an endpoint chose becomes a `WebhookDelivery` row (after the change
commits) and a job that POSTs it with `X-Opora-Timestamp` and
`X-Opora-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>" with the secret>`, the
scheme of the development hand-off (`sla/webhooks.py`), so one receiver verifies both.
An answer other than 2xx, or no answer, is retried with doubling back-off up to
`MAX_ATTEMPTS`; a 4xx other than 408/429 is the receiver's refusal and is not retried.
Every attempt leaves the status code and the first bytes of the answer on the row.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from opora.accounts.models import User
from opora.automation import errors, listeners
from opora.automation.models import DeliveryState, Webhook, WebhookDelivery, WebhookEvent
from opora.core import clock as wall_clock
from opora.core.audit import diff, record_change, snapshot
from opora.core.errors import ValidationFailed
from opora.core.tasks import enqueue_after_commit
from opora.sla.webhooks import signed_headers
from opora.tickets.models import Message, Priority, Ticket

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 30
TIMEOUT_SECONDS = 10
SNIPPET = 500
EVENT_NAMES = {
    "created": "ticket.created",
    "updated": "ticket.updated",
    "replied": "ticket.replied",
    "solved": "ticket.solved",
    "trigger": "ticket.trigger",
    "test": "webhook.test",
    "idea_created": "idea.created",
    "idea_status": "idea.status_changed",
}


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": Priority(ticket.priority).code,
        "type": ticket.type,
        "channel": ticket.channel,
        "line": ticket.line,
        "team": ticket.team_id,
        "assignee": ticket.assignee_id,
        "requester": ticket.requester_id,
        "organization": ticket.organization_id,
        "tags": sorted(ticket.tags.values_list("name", flat=True)),
        "url": f"{settings.BASE_URL}/agent/tickets/{ticket.number}",
    }


def payload(event: str, ticket: Ticket | None, message: Message | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"event": EVENT_NAMES[event], "at": wall_clock.now().isoformat()}
    if ticket is not None:
        body["ticket"] = ticket_payload(ticket)
    if message is not None:
        body["message"] = {
            "id": message.pk,
            "author": message.author_id,
            "body": message.body,
            "created_at": message.created_at.isoformat(),
        }
    return body


def queue_event(
    event: str, ticket_ids: list[int], messages: dict[int, Message] | None = None
) -> int:
    """Queue a delivery to every active endpoint that chose `event`; returns how many."""
    if not ticket_ids or event not in listeners.webhook_events():
        return 0
    hooks = [h for h in Webhook.objects.filter(active=True) if event in h.events]
    if not hooks or not ticket_ids:
        return 0
    tickets = Ticket.objects.filter(pk__in=ticket_ids).order_by("id")
    rows = [
        WebhookDelivery(
            webhook=hook,
            event=event,
            payload=payload(event, ticket, (messages or {}).get(ticket.pk)),
            created_at=wall_clock.now(),
        )
        for ticket in tickets
        for hook in hooks
    ]
    with transaction.atomic():
        for row in rows:  # one by one: the ids are needed on every database
            row.save(force_insert=True)
            enqueue_after_commit(deliver_task, row.pk)
    return len(rows)


def queue_payload(event: str, body: dict[str, Any]) -> int:
    """Queue a delivery of an event about something other than a ticket (an idea: the
    ideas app hands the product team its news this way) to every active endpoint that
    chose it; `body` goes beside "event" and "at". Returns how many."""
    if event not in listeners.webhook_events():
        return 0
    hooks = [h for h in Webhook.objects.filter(active=True) if event in h.events]
    at = wall_clock.now()
    with transaction.atomic():
        for hook in hooks:
            row = WebhookDelivery.objects.create(
                webhook=hook,
                event=event,
                payload={"event": EVENT_NAMES[event], "at": at.isoformat(), **body},
                created_at=at,
            )
            enqueue_after_commit(deliver_task, row.pk)
    return len(hooks)


def queue_for_webhook(webhook_id: int, event: str, ticket: Ticket) -> WebhookDelivery | None:
    """A trigger's "call webhook" action: one delivery to that endpoint, if still active."""
    hook = Webhook.objects.filter(pk=webhook_id, active=True).first()
    if hook is None:
        return None
    row = WebhookDelivery.objects.create(
        webhook=hook, event=event, payload=payload(event, ticket), created_at=wall_clock.now()
    )
    enqueue_after_commit(deliver_task, row.pk)
    return row


def send_test(hook: Webhook) -> WebhookDelivery:
    """The console's "send test": one attempt now, no retries; the row shows the answer."""
    row = WebhookDelivery.objects.create(
        webhook=hook, event="test", payload=payload("test", None), created_at=wall_clock.now()
    )
    attempt(row.pk, retry=False)
    row.refresh_from_db()
    return row


def _post(url: str, secret: str, body: bytes) -> tuple[int | None, str, str]:
    """(status code, answer snippet, error) of one POST."""
    request = urllib.request.Request(  # noqa: S310 - the URL is the admin's own setting
        url, data=body, method="POST", headers=signed_headers(secret, body)
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, _snippet(response.read(SNIPPET * 4)), ""
    except urllib.error.HTTPError as exc:
        return exc.code, _snippet(exc.read(SNIPPET * 4)), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, "", str(exc)[:SNIPPET]


def _snippet(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")[:SNIPPET]


def _retryable(status: int | None) -> bool:
    return status is None or status >= 500 or status in (408, 429)


def attempt(delivery_id: int, *, retry: bool = True) -> str:
    """Send the delivery once; queue the next attempt (with back-off) when worth it."""
    row = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if row is None or row.state != DeliveryState.QUEUED:
        return row.state if row else "missing"
    body = json.dumps({**row.payload, "delivery": row.pk}, ensure_ascii=False).encode()
    status, snippet, error = _post(row.webhook.url, row.webhook.secret, body)
    row.attempts += 1
    row.status_code, row.response, row.error = status, snippet, error
    if status is not None and 200 <= status < 300:
        row.state, row.error = DeliveryState.DELIVERED, ""
        row.delivered_at = wall_clock.now()
    elif not retry or not _retryable(status) or row.attempts >= MAX_ATTEMPTS:
        row.state = DeliveryState.FAILED
    else:
        delay = BACKOFF_SECONDS * 2 ** (row.attempts - 1)
        deliver_task.using(run_after=wall_clock.now() + timedelta(seconds=delay)).enqueue(row.pk)
    row.save(
        update_fields=["attempts", "status_code", "response", "error", "state", "delivered_at"]
    )
    return row.state


@task()
def deliver_task(delivery_id: int) -> str:
    """POST one webhook delivery (safe to run twice: a delivered row is left alone)."""
    return attempt(delivery_id)


WEBHOOK_FIELDS = ("name", "url", "events", "active")


@transaction.atomic
def save_webhook(
    *,
    by: User,
    webhook: Webhook | None = None,
    name: str,
    url: str,
    events: list[str],
    secret: str | None = None,
    active: bool = True,
) -> Webhook:
    """Create or change an endpoint (admins); audited, the secret never in the trail."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed(errors.INVALID_WEBHOOK, _("Give the webhook a name."), field="name")
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise ValidationFailed(
            errors.INVALID_WEBHOOK, _("The URL must start with https:// or http://."), field="url"
        )
    if not events or any(e not in WebhookEvent.values for e in events):
        raise ValidationFailed(
            errors.INVALID_WEBHOOK, _("Choose the events to send."), field="events"
        )
    before = snapshot(webhook, WEBHOOK_FIELDS) if webhook else None
    if webhook is None:
        webhook = Webhook(secret=secrets.token_urlsafe(32))
    if secret:
        if len(secret) < 16 or len(secret) > 200:
            raise ValidationFailed(
                errors.INVALID_WEBHOOK,
                _("The secret must be 16 to 200 characters long."),
                field="secret",
            )
        webhook.secret = secret
    webhook.name, webhook.url, webhook.active = name, url, active
    webhook.events = sorted(set(events))
    webhook.updated_at = wall_clock.now()
    webhook.save()
    listeners.webhooks_changed()
    after = snapshot(webhook, WEBHOOK_FIELDS)
    changes = after if before is None else diff(before, after)
    if secret and before is not None:
        changes["secret"] = ["…", "…"]
    record_change(
        actor=by,
        area="automation",
        action="created" if before is None else "changed",
        target=webhook,
        changes=changes,
    )
    return webhook


@transaction.atomic
def delete_webhook(webhook: Webhook, *, by: User) -> None:
    record_change(actor=by, area="automation", action="deleted", target=webhook)
    webhook.delete()
    listeners.webhooks_changed()


@transaction.atomic
def deliver_again(delivery: WebhookDelivery, *, by: User) -> WebhookDelivery:
    """The console's "Deliver again" for a failed delivery: a new queued delivery of the
    same event and payload (the failed one stays in the log as it was); audited."""
    if delivery.state != DeliveryState.FAILED:
        raise ValidationFailed(
            errors.INVALID_WEBHOOK,
            _("Only a failed delivery can be delivered again."),
            field="state",
        )
    row = WebhookDelivery.objects.create(
        webhook=delivery.webhook,
        event=delivery.event,
        payload=delivery.payload,
        created_at=wall_clock.now(),
    )
    enqueue_after_commit(deliver_task, row.pk)
    record_change(
        actor=by,
        area="automation",
        action="resent",
        target=row,
        target_type="webhookdelivery",
        label=f"{delivery.webhook.name}: {delivery.event} #{delivery.pk}",
    )
    return row


def next_tries(deliveries: list[WebhookDelivery]) -> dict[int, datetime]:
    """When each queued delivery is tried next: its waiting job's `run_after`."""
    from django_tasks_db.models import DBTaskResult

    queued = {d.pk for d in deliveries if d.state == DeliveryState.QUEUED}
    if not queued:
        return {}
    found: dict[int, datetime] = {}
    jobs = DBTaskResult.objects.filter(
        status="READY", task_path=deliver_task.module_path
    ).values_list("args_kwargs", "run_after")
    for args_kwargs, run_after in jobs.iterator():
        args = (args_kwargs or {}).get("args") or [None]
        if args[0] in queued:
            found[args[0]] = min(run_after, found.get(args[0], run_after))
    return found
