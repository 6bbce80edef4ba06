"""Telephony test helpers: a line of each provider and its events, posted to the line's
webhook through the whole HTTP stack and signed as each provider signs them (Twilio's
with the `twilio` library itself)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from opora.accounts.models import Team, User
from opora.sla import webhooks as signing
from opora.telephony.actions import create_line
from opora.telephony.models import PhoneLine

TWILIO_TOKEN = "twilio-auth-token-0123456789abcdef"
ZADARMA_SECRET = "zadarma-api-secret-0123456789"
CUSTOMER = "+79161234567"
DESK = "+74950000000"
_calls = itertools.count(1)


def new_call_id(prefix: str = "call") -> str:
    return f"{prefix}-{next(_calls)}"


@pytest.fixture
def make_line(ada: User, support: Team) -> Callable[..., PhoneLine]:
    def make(provider: str = "generic", **values: Any) -> PhoneLine:
        secret = {"twilio": TWILIO_TOKEN, "zadarma": ZADARMA_SECRET}.get(provider)
        base = {
            "name": f"{provider.title()} line",
            "provider": provider,
            "team": support.pk,
            "numbers": DESK,
            "extensions": "101 = alice@desk.test",
        }
        if secret:
            base["secret"] = secret
        return create_line(by=ada, values=base | values).line

    return make


@pytest.fixture
def generic_line(make_line: Callable[..., PhoneLine]) -> PhoneLine:
    return make_line("generic")


def post_generic(
    line: PhoneLine,
    event: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    timestamp: float | None = None,
) -> Any:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = signing.signed_headers(line.secret if secret is None else secret, body, now=timestamp)
    return Client().post(
        f"/channels/phone/{line.pk}/generic",
        body,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )


def generic_event(kind: str, call_id: str, **fields: Any) -> dict[str, Any]:
    return {"event": kind, "call_id": call_id, "direction": "in", "from": CUSTOMER, "to": DESK} | (
        fields
    )


def post_twilio(
    line: PhoneLine, params: dict[str, str], *, query: str = "", token: str = TWILIO_TOKEN
) -> Any:
    """A status callback as Twilio sends it: form-encoded, signed over the address it
    called (with the query) and the fields, by the library Twilio publishes."""
    path = f"/channels/phone/{line.pk}/twilio" + (f"?{query}" if query else "")
    signature = RequestValidator(token).compute_signature(f"http://testserver{path}", params)
    return Client().post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


def twilio_params(status: str, sid: str, **fields: str) -> dict[str, str]:
    return {
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "CallSid": sid,
        "CallStatus": status,
        "Direction": "inbound",
        "From": CUSTOMER,
        "To": DESK,
        "ApiVersion": "2010-04-01",
        "Timestamp": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
        "CallbackSource": "call-progress-events",
    } | fields


def zadarma_signature(signed: str, secret: str = ZADARMA_SECRET) -> str:
    """As Zadarma's documentation computes it: base64 of HMAC-SHA1's hex digest."""
    hexdigest = hmac.new(secret.encode(), signed.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(hexdigest.encode()).decode()


ZADARMA_SIGNED = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
}


def post_zadarma(line: PhoneLine, params: dict[str, str], *, signature: str | None = None) -> Any:
    fields = ZADARMA_SIGNED.get(params["event"], ())
    if signature is None:
        signature = zadarma_signature("".join(params.get(f, "") for f in fields))
    return Client().post(
        f"/channels/phone/{line.pk}/zadarma",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"Signature": signature},
    )


def zadarma_params(event: str, call_id: str, **fields: str) -> dict[str, str]:
    base = {
        "event": event,
        "call_start": time.strftime("%Y-%m-%d %H:%M:%S"),
        "pbx_call_id": call_id,
        "caller_id": CUSTOMER,
        "called_did": DESK,
    }
    return base | fields
