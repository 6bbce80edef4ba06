"""WhatsApp test helpers: the local Graph API server, a number pointed at it, webhook
bodies as Meta sends them, and the webhook called through the whole HTTP stack with a
real signature."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.messengers.models import WhatsAppNumber
from opora.messengers.tasks import drain_whatsapp_task
from opora.messengers.webhooks import signature_of
from opora.messengers.whatsapp.actions import create_number
from tests.messengers.whatsapp_server import (
    ACCESS_TOKEN,
    PHONE_NUMBER_ID,
    VERSION,
    WhatsAppServer,
)

APP_SECRET = "local-app-secret-0123456789"
CUSTOMER = "15551234567"
_ids = itertools.count(1)


@pytest.fixture
def whatsapp_api() -> Iterator[WhatsAppServer]:
    server = WhatsAppServer().start()
    yield server
    server.stop()


@pytest.fixture
def wa_number(ada: User, support: Team, whatsapp_api: WhatsAppServer) -> WhatsAppNumber:
    return create_number(
        by=ada,
        values={
            "name": "Acme WhatsApp",
            "phone_number_id": PHONE_NUMBER_ID,
            "business_account_id": "102290129340398",
            "access_token": ACCESS_TOKEN,
            "app_secret": APP_SECRET,
            "api_base": whatsapp_api.url,
            "api_version": VERSION,
            "team": support.pk,
            "templates": ["hello_again", "order_update"],
        },
    )


def notification(
    *,
    messages: Sequence[dict[str, Any]] = (),
    statuses: Sequence[dict[str, Any]] = (),
    name: str = "Maria Lopez",
) -> dict[str, Any]:
    """A webhook body with one change of the `messages` field."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100000", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        senders = dict.fromkeys(str(m.get("from")) for m in messages)
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id} for wa_id in senders]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def text_message(
    text: str = "Hello",
    *,
    wamid: str | None = None,
    at: int | None = None,
    sender: str = CUSTOMER,
) -> dict[str, Any]:
    return {
        "from": sender,
        "id": wamid or f"wamid.IN{next(_ids):06d}",
        "timestamp": str(at if at is not None else int(time.time())),
        "type": "text",
        "text": {"body": text},
    }


def media_message(kind: str, media_id: str, mime_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "from": CUSTOMER,
        "id": f"wamid.IN{next(_ids):06d}",
        "timestamp": str(int(time.time())),
        "type": kind,
        kind: {"id": media_id, "mime_type": mime_type, "sha256": "x", **extra},
    }


def status(wamid: str, state: str, *, code: int | None = None, title: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": CUSTOMER,
    }
    if code is not None:
        item["errors"] = [
            {"code": code, "title": title, "message": title, "error_data": {"details": title}}
        ]
    return item


def post_signed(
    number: WhatsAppNumber,
    data: Any,
    *,
    secret: str | None = None,
    signature: str | None = None,
) -> Any:
    """POST a body to the number's webhook as Meta does, signed with its app secret
    unless told otherwise, leaving the drain it queues to the caller."""
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    sign = signature if signature is not None else signature_of(body, secret or APP_SECRET)
    return Client().post(
        f"/channels/whatsapp/{number.pk}/webhook",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign,
    )


@pytest.fixture
def post_whatsapp(db: None) -> Callable[..., Any]:
    """`post_signed`, then the drain it queued run when it answered 200."""

    def post(number: WhatsAppNumber, data: Any, **signing: Any) -> Any:
        answer = post_signed(number, data, **signing)
        if answer.status_code == 200:
            drain_whatsapp_task.call()
        return answer

    return post
