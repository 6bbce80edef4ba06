"""Triggers, time automations and outbound webhooks, for administrators.

Every write is audited (`core/audit.py`) by the automation app's own actions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opora.accounts.models import User
from opora.accounts.selectors import require_admin
from opora.api.common import ErrorOut, StrictInput, current_user
from opora.automation import automations, triggers, webhooks
from opora.automation.models import Automation, Trigger, Webhook, WebhookDelivery
from opora.core.errors import NotFound

router = Router(tags=["automation"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

Event = Literal["created", "customer_replied", "agent_replied", "status_changed", "sla_at_risk"]


def _admin(request: HttpRequest) -> User:
    user = current_user(request)
    require_admin(user)
    return user


def _get(model: Any, pk: int, what: str) -> Any:
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(what)
    return found


# --- Triggers ---------------------------------------------------------------------


class Condition(Schema):
    field: str
    operator: str
    value: Any = None


class Action(Schema):
    type: str
    value: Any = None


class TriggerIn(StrictInput):
    name: str = Field(max_length=120)
    event: Event
    match: Literal["all", "any"] = "all"
    conditions: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    actions: list[dict[str, Any]] = Field(max_length=50)
    active: bool = True


class TriggerOut(Schema):
    id: int
    name: str
    active: bool
    position: int
    event: str
    match: str
    conditions: list[Condition]
    actions: list[Action]
    updated_at: datetime


class OrderIn(StrictInput):
    ids: list[int] = Field(max_length=1000, description="every trigger's id, in the new order")


def trigger_out(t: Trigger) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "active": t.active,
        "position": t.position,
        "event": t.event,
        "match": t.match,
        "conditions": t.conditions,
        "actions": t.actions,
        "updated_at": t.updated_at,
    }


@router.get("/triggers", response={200: list[TriggerOut], **ERRORS}, operation_id="list_triggers")
def list_triggers(request: HttpRequest) -> list[dict[str, Any]]:
    """Triggers in the order they run (admins)."""
    _admin(request)
    return [trigger_out(t) for t in Trigger.objects.order_by("position", "id")]


@router.post("/triggers", response={201: TriggerOut, **ERRORS}, operation_id="create_trigger")
def create_trigger(request: HttpRequest, payload: TriggerIn) -> Status[dict[str, Any]]:
    """A new trigger, run after the others (admins)."""
    saved = triggers.save_trigger(by=_admin(request), **payload.model_dump())
    return Status(201, trigger_out(saved))


@router.post(
    "/triggers/order", response={200: list[TriggerOut], **ERRORS}, operation_id="order_triggers"
)
def order_triggers(request: HttpRequest, payload: OrderIn) -> list[dict[str, Any]]:
    """Set the order the triggers run in (admins)."""
    return [trigger_out(t) for t in triggers.reorder_triggers(payload.ids, by=_admin(request))]


@router.get(
    "/triggers/{trigger_id}", response={200: TriggerOut, **ERRORS}, operation_id="get_trigger"
)
def get_trigger(request: HttpRequest, trigger_id: int) -> dict[str, Any]:
    _admin(request)
    return trigger_out(_get(Trigger, trigger_id, "trigger"))


@router.put(
    "/triggers/{trigger_id}", response={200: TriggerOut, **ERRORS}, operation_id="update_trigger"
)
def update_trigger(request: HttpRequest, trigger_id: int, payload: TriggerIn) -> dict[str, Any]:
    user = _admin(request)
    found = _get(Trigger, trigger_id, "trigger")
    return trigger_out(triggers.save_trigger(by=user, trigger=found, **payload.model_dump()))


@router.delete(
    "/triggers/{trigger_id}", response={204: None, **ERRORS}, operation_id="delete_trigger"
)
def delete_trigger(request: HttpRequest, trigger_id: int) -> Status[None]:
    user = _admin(request)
    triggers.delete_trigger(_get(Trigger, trigger_id, "trigger"), by=user)
    return Status(204, None)


# --- Time automations ---------------------------------------------------------------


class AutomationIn(StrictInput):
    name: str = Field(max_length=120)
    status: Literal["new", "open", "pending", "on_hold", "solved"]
    hours: int = Field(ge=1, le=8760)
    business_hours: bool = False
    action: Literal["remind", "solve", "close"]
    message: str = Field("", max_length=10000)
    active: bool = True


class AutomationOut(Schema):
    id: int
    name: str
    active: bool
    status: str
    hours: int
    business_hours: bool
    action: str
    message: str
    updated_at: datetime


def automation_out(a: Automation) -> dict[str, Any]:
    return {f: getattr(a, f) for f in AutomationOut.model_fields} | {"id": a.pk}


@router.get(
    "/automations", response={200: list[AutomationOut], **ERRORS}, operation_id="list_automations"
)
def list_automations(request: HttpRequest) -> list[dict[str, Any]]:
    _admin(request)
    return [automation_out(a) for a in Automation.objects.order_by("position", "id")]


@router.post(
    "/automations", response={201: AutomationOut, **ERRORS}, operation_id="create_automation"
)
def create_automation(request: HttpRequest, payload: AutomationIn) -> Status[dict[str, Any]]:
    saved = automations.save_automation(by=_admin(request), **payload.model_dump())
    return Status(201, automation_out(saved))


@router.get(
    "/automations/{automation_id}",
    response={200: AutomationOut, **ERRORS},
    operation_id="get_automation",
)
def get_automation(request: HttpRequest, automation_id: int) -> dict[str, Any]:
    _admin(request)
    return automation_out(_get(Automation, automation_id, "automation"))


@router.put(
    "/automations/{automation_id}",
    response={200: AutomationOut, **ERRORS},
    operation_id="update_automation",
)
def update_automation(
    request: HttpRequest, automation_id: int, payload: AutomationIn
) -> dict[str, Any]:
    user = _admin(request)
    found = _get(Automation, automation_id, "automation")
    return automation_out(
        automations.save_automation(by=user, automation=found, **payload.model_dump())
    )


@router.delete(
    "/automations/{automation_id}",
    response={204: None, **ERRORS},
    operation_id="delete_automation",
)
def delete_automation(request: HttpRequest, automation_id: int) -> Status[None]:
    user = _admin(request)
    automations.delete_automation(_get(Automation, automation_id, "automation"), by=user)
    return Status(204, None)


# --- Webhooks -----------------------------------------------------------------------

WebhookEventName = Literal["created", "updated", "replied", "solved", "idea_created", "idea_status"]


class WebhookIn(StrictInput):
    name: str = Field(max_length=120)
    url: str = Field(max_length=500)
    events: list[WebhookEventName] = Field(min_length=1, max_length=6)
    secret: str | None = Field(
        None, max_length=200, description="null: keep (or, new, generate) the secret"
    )
    active: bool = True


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown once, when the webhook is created")


class DeliveryOut(Schema):
    id: int
    event: str
    state: str
    attempts: int
    status_code: int | None
    response: str
    error: str
    created_at: datetime
    delivered_at: datetime | None


def webhook_out(w: Webhook) -> dict[str, Any]:
    return {
        "id": w.pk,
        "name": w.name,
        "url": w.url,
        "events": list(w.events),
        "active": w.active,
        "updated_at": w.updated_at,
    }


def delivery_out(d: WebhookDelivery) -> dict[str, Any]:
    return {f: getattr(d, f) for f in DeliveryOut.model_fields} | {"id": d.pk}


@router.get("/webhooks", response={200: list[WebhookOut], **ERRORS}, operation_id="list_webhooks")
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    _admin(request)
    return [webhook_out(w) for w in Webhook.objects.order_by("id")]


@router.post("/webhooks", response={201: WebhookCreated, **ERRORS}, operation_id="create_webhook")
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Status[dict[str, Any]]:
    saved = webhooks.save_webhook(by=_admin(request), **payload.model_dump())
    return Status(201, webhook_out(saved) | {"secret": saved.secret})


@router.get(
    "/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, operation_id="get_webhook"
)
def get_webhook(request: HttpRequest, webhook_id: int) -> dict[str, Any]:
    _admin(request)
    return webhook_out(_get(Webhook, webhook_id, "webhook"))


@router.put(
    "/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, operation_id="update_webhook"
)
def update_webhook(request: HttpRequest, webhook_id: int, payload: WebhookIn) -> dict[str, Any]:
    user = _admin(request)
    found = _get(Webhook, webhook_id, "webhook")
    return webhook_out(webhooks.save_webhook(by=user, webhook=found, **payload.model_dump()))


@router.delete(
    "/webhooks/{webhook_id}", response={204: None, **ERRORS}, operation_id="delete_webhook"
)
def delete_webhook(request: HttpRequest, webhook_id: int) -> Status[None]:
    user = _admin(request)
    webhooks.delete_webhook(_get(Webhook, webhook_id, "webhook"), by=user)
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response={200: list[DeliveryOut], **ERRORS},
    operation_id="list_webhook_deliveries",
)
def list_deliveries(request: HttpRequest, webhook_id: int) -> list[dict[str, Any]]:
    """The latest 100 deliveries, newest first (admins)."""
    _admin(request)
    found = _get(Webhook, webhook_id, "webhook")
    return [delivery_out(d) for d in found.deliveries.order_by("-created_at", "-id")[:100]]


@router.post(
    "/webhooks/{webhook_id}/test",
    response={200: DeliveryOut, **ERRORS},
    operation_id="test_webhook",
)
def test_webhook(request: HttpRequest, webhook_id: int) -> dict[str, Any]:
    """Send a signed test event now and answer what the endpoint said (admins)."""
    _admin(request)
    return delivery_out(webhooks.send_test(_get(Webhook, webhook_id, "webhook")))
