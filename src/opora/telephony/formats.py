"""The webhook formats a line takes, each read into one `PhoneEvent`.

- **generic**: the desk's own JSON (docs/channels.md, "Phone"), signed like the desk's
  outbound webhooks: `X-Opora-Signature: sha256=HMAC-SHA256(secret, "<ts>.<body>")` with
  `X-Opora-Timestamp: <ts>`, refused outside a 5-minute window.
- **twilio**: Voice status callbacks (form-encoded), `X-Twilio-Signature` checked by
  the `twilio` library's own `RequestValidator` with the account's auth token.
- **zadarma**: NOTIFY_START / NOTIFY_ANSWER / NOTIFY_END / NOTIFY_OUT_START /
  NOTIFY_OUT_END (form-encoded), `Signature: base64(hex(HMAC-SHA1(secret, fields)))`,
  the fields per event as Zadarma documents them.

Each reader first checks the signature (`Forged` when it is wrong: the view answers
403 and stores nothing), then reads the fields (`BadEvent`: 400). An event of a kind the
desk does not take becomes a `PhoneEvent` of kind IGNORED (when signed) or `Unverifiable`
(a Zadarma event whose signed fields the desk does not know: ignored, nothing stored).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from opora.core import clock, jsonin
from opora.sla import webhooks as signing
from opora.telephony.models import Direction, Outcome

RINGING = "ringing"
ANSWERED = "answered"
ENDED = "ended"
IGNORED = "ignored"
KINDS = (RINGING, ANSWERED, ENDED)
MAX_ID = 128
MAX_NUMBER = 40
MAX_AGENT = 254
MAX_URL = 1000
MAX_DURATION = 24 * 3600


class Forged(Exception):
    """The signature is missing or wrong."""


class BadEvent(Exception):
    """Signed, but not an event the desk can read."""


class Unverifiable(Exception):
    """An event kind whose signature the desk cannot check: ignored, never stored."""


@dataclass(frozen=True)
class PhoneEvent:
    kind: str  # RINGING, ANSWERED, ENDED or IGNORED
    raw_kind: str  # the provider's name for it
    key: str  # unique per line: a provider's retry carries the same key
    call_id: str = ""
    direction: str = Direction.IN
    caller: str = ""
    called: str = ""
    agent: str = ""  # an e-mail address or a PBX extension
    at: datetime | None = None
    started_at: datetime | None = None
    duration: int | None = None
    outcome: str = ""
    recording_url: str = ""
    test: bool = False


def _text(value: Any, limit: int, field: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise BadEvent(f"{field}: a string expected")
    text = value.strip()
    if len(text) > limit or any(not ch.isprintable() for ch in text):
        raise BadEvent(f"{field}: too long or not printable")
    if required and not text:
        raise BadEvent(f"{field}: required")
    return text


def _number(value: Any, field: str) -> str:
    return _text(value, MAX_NUMBER, field)


def _url(value: Any, field: str) -> str:
    text = _text(value, MAX_URL, field)
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise BadEvent(f"{field}: an http(s) address expected")
    return text


def _duration(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DURATION:
        raise BadEvent(f"{field}: seconds from 0 to {MAX_DURATION} expected")
    return value


def _moment(value: Any, field: str) -> datetime | None:
    """ISO 8601 (a naive one in the desk's time zone) or Unix seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 < value < 1e11:
            raise BadEvent(f"{field}: not a time")
        return datetime.fromtimestamp(value, tz=UTC)
    text = _text(value, 64, field)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadEvent(f"{field}: ISO 8601 expected") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# --- generic ----------------------------------------------------------------------------


def verify_generic(secret: str, headers: Mapping[str, str], body: bytes) -> None:
    timestamp = headers.get(signing.TIMESTAMP_HEADER, "")
    signature = headers.get(signing.SIGNATURE_HEADER, "")
    if not signing.verify(secret, timestamp, signature, body, now=time.time()):
        raise Forged


def read_generic(body: bytes) -> PhoneEvent:
    try:
        data = jsonin.loads(body)
    except jsonin.BadJson:
        raise BadEvent("not valid JSON") from None
    if not isinstance(data, dict):
        raise BadEvent("a JSON object expected")
    event = _text(data.get("event"), 32, "event", required=True)
    call_id = _text(data.get("call_id"), MAX_ID, "call_id", required=event in KINDS)
    event_id = _text(data.get("event_id"), MAX_ID, "event_id")
    key = f"id:{event_id}" if event_id else f"{call_id}:{event}"
    test = data.get("test") is True
    if event not in KINDS:
        return PhoneEvent(kind=IGNORED, raw_kind=event, key=key or f"ignored:{event}", test=test)
    direction = data.get("direction", Direction.IN)
    if direction not in Direction.values:
        raise BadEvent("direction: in or out")
    outcome = _text(data.get("outcome"), 16, "outcome")
    if outcome and outcome not in Outcome.values:
        raise BadEvent("outcome: " + ", ".join(Outcome.values))
    return PhoneEvent(
        kind=event,
        raw_kind=event,
        key=key,
        call_id=call_id,
        direction=direction,
        caller=_number(data.get("from"), "from"),
        called=_number(data.get("to"), "to"),
        agent=_text(data.get("agent"), MAX_AGENT, "agent"),
        at=_moment(data.get("at"), "at") or clock.now(),
        started_at=_moment(data.get("started_at"), "started_at"),
        duration=_duration(data.get("duration"), "duration"),
        outcome=outcome,
        recording_url=_url(data.get("recording_url"), "recording_url"),
        test=test,
    )


# --- Twilio -----------------------------------------------------------------------------

TWILIO_SIGNATURE = "X-Twilio-Signature"
# CallStatus → (kind, outcome of an ended call)
TWILIO_STATUSES = {
    "queued": (RINGING, ""),
    "initiated": (RINGING, ""),
    "ringing": (RINGING, ""),
    "in-progress": (ANSWERED, ""),
    "completed": (ENDED, Outcome.ANSWERED),
    "busy": (ENDED, Outcome.BUSY),
    "no-answer": (ENDED, Outcome.MISSED),
    "canceled": (ENDED, Outcome.MISSED),
    "failed": (ENDED, Outcome.FAILED),
}


def verify_twilio(
    auth_token: str, urls: list[str], form: Mapping[str, str], signature: str
) -> None:
    """Twilio signs the address it called (with its query) and the POSTed fields; the
    desk's address as Twilio sees it may differ from this request's behind a proxy, so
    each candidate is tried."""
    validator = RequestValidator(auth_token)
    if not signature or not any(validator.validate(url, dict(form), signature) for url in urls):
        raise Forged


def _twilio_agent(form: Mapping[str, str], query: Mapping[str, str]) -> str:
    """The agent named in the callback address (`?agent=…`), else a Twilio Client
    identity ("client:alice@example.com") the call was connected to."""
    named = query.get("agent", "")
    if named:
        return named
    for field in ("To", "Called"):
        value = form.get(field, "")
        if value.startswith("client:"):
            return value.removeprefix("client:")
    return ""


def read_twilio(form: Mapping[str, str], query: Mapping[str, str]) -> PhoneEvent:
    status = _text(form.get("CallStatus"), 32, "CallStatus", required=True)
    sid = _text(form.get("CallSid"), MAX_ID, "CallSid", required=True)
    key = f"{sid}:{status}:{_text(form.get('SequenceNumber'), 16, 'SequenceNumber')}"
    if status not in TWILIO_STATUSES:
        return PhoneEvent(kind=IGNORED, raw_kind=status, key=key)
    kind, outcome = TWILIO_STATUSES[status]
    raw_direction = _text(form.get("Direction"), 32, "Direction")
    direction = Direction.OUT if raw_direction.startswith("outbound") else Direction.IN
    at: datetime | None = None
    stamp = _text(form.get("Timestamp"), 64, "Timestamp")
    if stamp:
        try:
            at = parsedate_to_datetime(stamp)
        except (TypeError, ValueError):
            raise BadEvent("Timestamp: RFC 2822 expected") from None
    duration = _duration(form.get("CallDuration"), "CallDuration")
    if kind == ENDED and outcome == Outcome.ANSWERED and duration == 0:
        outcome = Outcome.MISSED
    caller, called = form.get("From", ""), form.get("To", "")
    return PhoneEvent(
        kind=kind,
        raw_kind=status,
        key=key,
        call_id=sid,
        direction=direction,
        caller=_number(caller.removeprefix("client:"), "From"),
        called=_number(called.removeprefix("client:"), "To"),
        agent=_text(_twilio_agent(form, query), MAX_AGENT, "agent"),
        at=at or clock.now(),
        duration=duration,
        outcome=outcome if kind == ENDED else "",
        recording_url=_url(form.get("RecordingUrl"), "RecordingUrl"),
    )


# --- Zadarma ----------------------------------------------------------------------------

ZADARMA_SIGNATURE = "Signature"
# event → (kind, direction, the fields its signature covers, in order)
ZADARMA_EVENTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "NOTIFY_START": (RINGING, Direction.IN, ("caller_id", "called_did", "call_start")),
    "NOTIFY_ANSWER": (ANSWERED, Direction.IN, ("caller_id", "destination", "call_start")),
    "NOTIFY_END": (ENDED, Direction.IN, ("caller_id", "called_did", "call_start")),
    "NOTIFY_OUT_START": (RINGING, Direction.OUT, ("internal", "destination", "call_start")),
    "NOTIFY_OUT_END": (ENDED, Direction.OUT, ("internal", "destination", "call_start")),
    # Signed, known, not taken: noted and ignored.
    "NOTIFY_INTERNAL": (IGNORED, Direction.IN, ("caller_id", "called_did", "call_start")),
    "NOTIFY_RECORD": (IGNORED, Direction.IN, ("pbx_call_id", "call_id_with_rec")),
}
ZADARMA_OUTCOMES = {
    "answered": Outcome.ANSWERED,
    "busy": Outcome.BUSY,
    "no answer": Outcome.MISSED,
    "cancel": Outcome.MISSED,
}


def zadarma_signature(secret: str, signed: str) -> str:
    """Zadarma's scheme: the hex digest of HMAC-SHA1, itself base64-encoded."""
    digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def verify_zadarma(secret: str, form: Mapping[str, str], signature: str) -> None:
    event = form.get("event", "")
    if event not in ZADARMA_EVENTS:
        raise Unverifiable(event)
    fields = ZADARMA_EVENTS[event][2]
    expected = zadarma_signature(secret, "".join(form.get(f, "") for f in fields))
    if not signature or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Forged


def read_zadarma(form: Mapping[str, str]) -> PhoneEvent:
    event = form.get("event", "")
    kind, direction, _fields = ZADARMA_EVENTS[event]
    call_id = _text(form.get("pbx_call_id"), MAX_ID, "pbx_call_id", required=kind != IGNORED)
    key = f"{call_id}:{event}"
    if kind == IGNORED:
        return PhoneEvent(kind=IGNORED, raw_kind=event, key=key)
    if direction == Direction.IN:
        caller = _number(form.get("caller_id"), "caller_id")
        called = _number(form.get("called_did") or form.get("destination"), "called_did")
    else:
        caller = _number(form.get("caller_id"), "caller_id")
        called = _number(form.get("destination"), "destination")
    outcome = ""
    if kind == ENDED:
        disposition = _text(form.get("disposition"), 64, "disposition")
        outcome = ZADARMA_OUTCOMES.get(disposition, Outcome.FAILED)
    return PhoneEvent(
        kind=kind,
        raw_kind=event,
        key=key,
        call_id=call_id,
        direction=direction,
        caller=caller,
        called=called,
        agent=_text(form.get("internal"), MAX_AGENT, "internal"),
        at=clock.now(),
        started_at=_moment(form.get("call_start"), "call_start"),
        duration=_duration(form.get("duration"), "duration"),
        outcome=outcome,
    )
