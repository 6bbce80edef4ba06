"""Every write of telephony but the webhook's events (`intake.py`): phone lines
(administrators), calls logged by hand and call-backs marked done (agents).

A line's secret is generated here (or given, for Twilio's auth token and Zadarma's API
secret) and shown once: the audit trail records only that it changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from opora.accounts.identities import clean_phone
from opora.accounts.models import Team, User
from opora.core import audit, clock
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.sla import webhooks as signing
from opora.telephony import errors
from opora.telephony.intake import duration_text
from opora.telephony.models import (
    Call,
    Direction,
    Outcome,
    PhoneLine,
    Provider,
    new_secret,
)
from opora.telephony.selectors import require_phone_admin
from opora.tickets.actions import log_time
from opora.tickets.models import Ticket

EDITABLE = (
    "name",
    "provider",
    "secret",
    "team",
    "numbers",
    "extensions",
    "callback_minutes",
    "active",
)
AUDITED = tuple(name for name in EDITABLE if name != "secret")
AUDIT_AREA = "channels"
MAX_NUMBERS = 50
MAX_CALLBACK_MINUTES = 60 * 24 * 30
NUMBER = re.compile(r"^\+?[0-9 ()\-]{3,30}$")
EXTENSION = re.compile(r"^[0-9A-Za-z_*#+.-]{1,32}$")


def _text(value: Any, field: str, *, code: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit or any(not ch.isprintable() for ch in text):
        raise ValidationFailed(code, _("Enter a valid value."), field=field)
    return text


def clean_numbers(value: Any) -> str:
    """One number per line (commas also separate), each like +7 495 123-45-67."""
    if value is None:
        return ""
    rows = [n.strip() for n in re.split(r"[\n,]", value)] if isinstance(value, str) else None
    if isinstance(value, list):
        rows = [n.strip() if isinstance(n, str) else "" for n in value]
    if rows is None:
        raise ValidationFailed(errors.INVALID_NUMBERS, _("Enter phone numbers."), field="numbers")
    rows = [n for n in rows if n]
    if len(rows) > MAX_NUMBERS or any(not NUMBER.match(n) for n in rows):
        raise ValidationFailed(
            errors.INVALID_NUMBERS,
            _("Enter up to %(count)s phone numbers, one per line, such as +7 495 123-45-67.")
            % {"count": MAX_NUMBERS},
            field="numbers",
        )
    return "\n".join(rows)


def clean_extensions(value: Any) -> str:
    """Lines of "101 = alice@example.com": each extension and an agent's address."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else None
    if text is None or len(text) > 20_000:
        raise ValidationFailed(errors.INVALID_AGENTS, _("Enter a valid value."), field="extensions")
    rows = []
    for row in text.splitlines():
        if not row.strip():
            continue
        extension, sep, email = (part.strip() for part in row.partition("="))
        agent = User.objects.filter(email__iexact=email, is_active=True).first() if sep else None
        if not EXTENSION.match(extension) or agent is None or not agent.is_agent:
            raise ValidationFailed(
                errors.INVALID_AGENTS,
                _("“%(row)s”: write an extension, “=”, and an agent's e-mail address.")
                % {"row": row.strip()[:80]},
                field="extensions",
            )
        rows.append(f"{extension} = {agent.email}")
    return "\n".join(rows)


def clean_secret(value: Any) -> str:
    secret = value.strip() if isinstance(value, str) else ""
    if not 16 <= len(secret) <= 200 or any(not ch.isprintable() or ch.isspace() for ch in secret):
        raise ValidationFailed(
            errors.INVALID_SECRET,
            _("A secret is 16 to 200 characters without spaces."),
            field="secret",
        )
    return secret


def _team(value: Any) -> Team | None:
    if value is None or value == "":
        return None
    found = (
        Team.objects.filter(pk=value).first()
        if isinstance(value, int) and not isinstance(value, bool)
        else None
    )
    if found is None:
        raise ValidationFailed(errors.UNKNOWN_TEAM, _("There is no such team."), field="team")
    return found


def _apply(line: PhoneLine, values: Mapping[str, Any]) -> None:
    for field, value in values.items():
        if field not in EDITABLE:
            raise ValidationFailed(errors.UNKNOWN_FIELD, _("Unknown field."), field=field)
        if field == "name":
            line.name = _text(value, field, code=errors.INVALID_NAME, limit=120)
        elif field == "provider":
            if value not in Provider.values:
                raise ValidationFailed(
                    errors.INVALID_PROVIDER,
                    _("Choose one of: %(names)s.") % {"names": ", ".join(Provider.values)},
                    field=field,
                )
            line.provider = value
        elif field == "secret":
            if value in (None, ""):
                continue  # left empty on a form: the saved secret stays
            line.secret = clean_secret(value)
        elif field == "team":
            line.team = _team(value)
        elif field == "numbers":
            line.numbers = clean_numbers(value)
        elif field == "extensions":
            line.extensions = clean_extensions(value)
        elif field == "callback_minutes":
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 1 <= value <= MAX_CALLBACK_MINUTES
            ):
                raise ValidationFailed(
                    errors.INVALID_CALLBACK,
                    _("Enter minutes from 1 to %(max)s.") % {"max": MAX_CALLBACK_MINUTES},
                    field=field,
                )
            line.callback_minutes = value
        elif field == "active":
            if not isinstance(value, bool):
                raise ValidationFailed(errors.INVALID, _("Enter true or false."), field=field)
            line.active = value


@dataclass(frozen=True)
class Saved:
    line: PhoneLine
    secret: str  # the new secret, to show once; "" when it did not change


@transaction.atomic
def create_line(*, by: User, values: Mapping[str, Any]) -> Saved:
    """A new line; without a secret given (the generic format), one is generated."""
    require_phone_admin(by)
    if not values.get("name"):
        raise ValidationFailed(errors.INVALID_NAME, _("Enter a valid value."), field="name")
    line = PhoneLine()
    _apply(line, values)
    if not values.get("secret"):
        if line.provider != Provider.GENERIC:
            raise ValidationFailed(
                errors.INVALID_SECRET,
                _("Enter the provider's secret (Twilio's auth token, Zadarma's API secret)."),
                field="secret",
            )
        line.secret = new_secret()
    line.created_at = line.updated_at = clock.now()
    line.save()
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="created",
        target=line,
        label=line.name,
        changes=audit.diff({}, audit.snapshot(line, AUDITED)) | {"secret": ["", "(set)"]},
    )
    return Saved(line, line.secret)


@transaction.atomic
def update_line(line: PhoneLine, *, by: User, changes: Mapping[str, Any]) -> Saved:
    """Change the given fields only; an empty secret keeps the saved one."""
    require_phone_admin(by)
    locked = PhoneLine.objects.select_for_update(of=("self",)).get(pk=line.pk)
    before = audit.snapshot(locked, AUDITED)
    secret_before = locked.secret
    _apply(locked, changes)
    locked.updated_at = clock.now()
    locked.save()
    diff = audit.diff(before, audit.snapshot(locked, AUDITED))
    changed = locked.secret != secret_before
    if changed:
        diff["secret"] = ["(set)", "(changed)"]
    audit.record_change(
        actor=by, area=AUDIT_AREA, action="changed", target=locked, label=locked.name, changes=diff
    )
    return Saved(locked, locked.secret if changed else "")


@transaction.atomic
def new_line_secret(line: PhoneLine, *, by: User) -> Saved:
    """A fresh generated secret (the generic format): shown once."""
    return update_line(line, by=by, changes={"secret": new_secret()})


@transaction.atomic
def delete_line(line: PhoneLine, *, by: User) -> None:
    """Stop taking this line's events; its calls stay on their tickets."""
    require_phone_admin(by)
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="deleted",
        target=line,
        label=line.name,
        changes=audit.diff(audit.snapshot(line, AUDITED), {}),
    )
    PhoneLine.objects.filter(pk=line.pk).delete()


def note_error(line: PhoneLine, error: str) -> None:
    """What went wrong with this line's events (a forged or unreadable one), shown on
    its page until a test succeeds. Not an administrator's change: no audit row."""
    now = clock.now()
    PhoneLine.objects.filter(pk=line.pk).update(last_error=error[:2000], last_error_at=now)
    line.last_error, line.last_error_at = error[:2000], now


def clear_error(line: PhoneLine) -> None:
    PhoneLine.objects.filter(pk=line.pk).update(last_error="")
    line.last_error = ""


def webhook_url(line: PhoneLine, provider: str | None = None) -> str:
    """Where the PBX posts this line's events: the desk's public address."""
    path = reverse("telephony:webhook", args=[line.pk, provider or line.provider])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


def send_test_event(line: PhoneLine, *, by: User) -> CheckResult:
    """Post a signed generic test event to the desk's own webhook address, through the
    network as a PBX would: it proves the address is reachable and the signing works.
    The event is noted and changes no ticket."""
    require_phone_admin(by)
    now = clock.now()
    body = orjson.dumps(
        {
            "event": "ringing",
            "event_id": f"test-{now.timestamp():.6f}",
            "call_id": f"test-{now.timestamp():.6f}",
            "direction": "in",
            "from": "+10000000000",
            "to": line.number_list[0] if line.number_list else "",
            "at": now.isoformat(),
            "test": True,
        }
    )
    url = webhook_url(line, Provider.GENERIC)
    try:
        answer = httpx.post(
            url,
            content=body,
            headers=signing.signed_headers(line.secret, body),
            timeout=10,
        )
    except httpx.HTTPError as exc:
        error = _("The desk's address could not be reached (%(url)s): %(error)s") % {
            "url": url,
            "error": type(exc).__name__,
        }
        note_error(line, error)
        return CheckResult(False, error)
    if answer.status_code != 200:
        error = _("The test event was refused: HTTP %(status)s.") % {"status": answer.status_code}
        note_error(line, error)
        return CheckResult(False, error)
    clear_error(line)
    return CheckResult(True, _("The test event arrived and its signature was accepted."))


# --- calls logged by hand -------------------------------------------------------------

MAX_NOTE = 2000


@dataclass(frozen=True)
class LoggedCall:
    direction: str
    number: str
    duration: int  # seconds
    outcome: str
    note: str = ""


def _check_call(values: LoggedCall) -> LoggedCall:
    if values.direction not in Direction.values:
        raise ValidationFailed(
            errors.INVALID_DIRECTION, _("Choose “in” or “out”."), field="direction"
        )
    number = values.number.strip() if isinstance(values.number, str) else ""
    if not NUMBER.match(number) or len(clean_phone(number)) < 4:
        raise ValidationFailed(
            errors.INVALID_NUMBER,
            _("Enter a phone number, such as +7 495 123-45-67."),
            field="number",
        )
    if not isinstance(values.duration, int) or not 0 <= values.duration <= 24 * 3600:
        raise ValidationFailed(
            errors.INVALID_DURATION, _("Enter a duration from 0 to 24 hours."), field="duration"
        )
    if values.outcome not in Outcome.values:
        raise ValidationFailed(errors.INVALID_OUTCOME, _("Choose an outcome."), field="outcome")
    note = values.note.strip() if isinstance(values.note, str) else ""
    if len(note) > MAX_NOTE or any(not (ch.isprintable() or ch in "\n\t") for ch in note):
        raise ValidationFailed(errors.INVALID_NOTE, _("Enter a valid value."), field="note")
    return LoggedCall(values.direction, number, values.duration, values.outcome, note)


@transaction.atomic
def log_call(ticket: Ticket, *, by: User, values: LoggedCall) -> Call:
    """A call the agent made or took outside a connected line, on the ticket: its talk
    time is logged as the agent's time, and an answered call settles the ticket's
    call-backs, as the webhook's calls do."""
    if not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may log calls."))
    checked = _check_call(values)
    now = clock.now()
    incoming = checked.direction == Direction.IN
    call = Call.objects.create(
        direction=checked.direction,
        caller_number=checked.number if incoming else "",
        called_number="" if incoming else checked.number,
        agent=by,
        started_at=now,
        answered_at=now if checked.outcome == Outcome.ANSWERED else None,
        ended_at=now,
        duration=checked.duration if checked.outcome == Outcome.ANSWERED else 0,
        outcome=checked.outcome,
        ticket=ticket,
        note=checked.note,
        logged_by=by,
        created_at=now,
        updated_at=now,
    )
    if call.outcome == Outcome.ANSWERED:
        if call.duration > 0:
            note = _("Phone call %(number)s, %(duration)s") % {
                "number": call.number,
                "duration": duration_text(call.duration),
            }
            entry = log_time(
                ticket, by=by, minutes=max(1, math.ceil(call.duration / 60)), note=note
            )
            call.time_entry_id = entry.pk
            call.save(update_fields=["time_entry_id"])
        Call.objects.filter(
            ticket=ticket, callback_due_at__isnull=False, callback_done_at__isnull=True
        ).update(callback_done_at=now, callback_done_by=by)
    return call


@transaction.atomic
def callback_done(call: Call, *, by: User) -> Call:
    """The agent called the person back (or settled it otherwise)."""
    if not by.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Only agents may log calls."))
    locked = Call.objects.select_for_update().filter(pk=call.pk).first()
    if locked is None:
        raise NotFound(_("call"))
    if locked.callback_due_at is None:
        raise ValidationFailed(errors.NO_CALLBACK, _("This call waits for no call-back."))
    if locked.callback_done_at is None:
        locked.callback_done_at = clock.now()
        locked.callback_done_by = by
        locked.save(update_fields=["callback_done_at", "callback_done_by"])
    return locked
