"""Alerts from the company's own monitoring open and close the same incidents.

Two doors, both behind `OPORA_MONITORING_WEBHOOK_SECRET` (off while it is empty):

- Prometheus Alertmanager's webhook (`POST /api/v1/monitoring/alertmanager`), with
  `Authorization: Bearer <secret>` (Alertmanager's `http_config.authorization`). Each
  alert's fingerprint is its key: "firing" opens (or joins) an incident, "resolved"
  resolves it.
- A generic signed webhook (`POST /api/v1/monitoring/webhook`): a JSON object
  `{"key", "status": "firing"|"resolved", "title", "description", "team", "started_at"}`
  with `X-Opora-Timestamp: <unix seconds>` and `X-Opora-Signature: sha256=<hex
  HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, the scheme of the desk's own
  outgoing webhooks; five minutes of clock skew at most.

A refused request writes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from opora.accounts.models import Team
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.monitoring import actions, errors
from opora.monitoring.models import Source

SIGNATURE_HEADER = "X-Opora-Signature"
TIMESTAMP_HEADER = "X-Opora-Timestamp"
MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 512 * 1024
MAX_ALERTS = 500


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def _secret() -> str:
    secret = str(settings.MONITORING_WEBHOOK_SECRET)
    if not secret:
        raise NotFound(_("alert intake"))
    return secret


def verify_bearer(authorization: str) -> None:
    secret = _secret()
    scheme, _sep, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), secret):
        raise Forbidden(errors.WRONG_SIGNATURE, _("The token is missing or wrong."))


def verify_signature(timestamp: str, signature: str, body: bytes) -> None:
    secret = _secret()
    ok = (
        timestamp.isdigit()
        and abs(time.time() - int(timestamp)) <= MAX_SKEW_SECONDS
        and hmac.compare_digest(sign(secret, timestamp, body), signature)
    )
    if not ok:
        raise Forbidden(errors.WRONG_SIGNATURE, _("The signature is missing or wrong."))


@dataclass(frozen=True)
class Alert:
    key: str
    firing: bool
    title: str
    description: str = ""
    team: str = ""
    started_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _bad(message: str) -> ValidationFailed:
    return ValidationFailed(errors.BAD_ALERT, message)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value.startswith("0001-"):
        return None
    try:
        found = parse_datetime(value)
    except ValueError:
        return None
    if found is None or timezone.is_naive(found):
        return None
    return found


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k)[:100]: str(v)[:500] for k, v in list(value.items())[:50]}


def read_alertmanager(payload: Any) -> list[Alert]:
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise _bad(_("An Alertmanager webhook body with a list of alerts was expected."))
    found = []
    for raw in payload["alerts"][:MAX_ALERTS]:
        if not isinstance(raw, dict):
            raise _bad(_("Each alert must be an object."))
        labels = _strings(raw.get("labels"))
        notes = _strings(raw.get("annotations"))
        status = raw.get("status") or payload.get("status")
        if status not in ("firing", "resolved"):
            raise _bad(_("An alert's status is “firing” or “resolved”."))
        fingerprint = str(raw.get("fingerprint") or "")[:64]
        if not fingerprint:
            fingerprint = hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]
        name = labels.get("alertname", "alert")
        instance = labels.get("instance", "")
        found.append(
            Alert(
                key=f"alertmanager:{fingerprint}",
                firing=status == "firing",
                title=(notes.get("summary") or f"{name} {instance}".strip())[:300],
                description=notes.get("description", ""),
                team=labels.get("opora_team") or labels.get("team", ""),
                started_at=_when(raw.get("startsAt")),
                details={"labels": labels, "annotations": notes},
            )
        )
    return found


def read_generic(payload: Any) -> list[Alert]:
    if not isinstance(payload, dict):
        raise _bad(_("A JSON object was expected."))
    key = payload.get("key")
    status = payload.get("status")
    title = payload.get("title") or key
    if not isinstance(key, str) or not key.strip() or len(key) > 150:
        raise _bad(_("“key” names the incident: text of at most 150 characters."))
    if status not in ("firing", "resolved"):
        raise _bad(_("“status” is “firing” or “resolved”."))
    description = payload.get("description") or ""
    team = payload.get("team") or ""
    if not all(isinstance(v, str) for v in (title, description, team)):
        raise _bad(_("“title”, “description” and “team” are text."))
    return [
        Alert(
            key=f"webhook:{key.strip()}",
            firing=status == "firing",
            title=str(title)[:300],
            description=str(description)[:5000],
            team=str(team)[:120],
            started_at=_when(payload.get("started_at")),
            details=_strings(payload.get("details")),
        )
    ]


def _team(name: str) -> Team | None:
    if not name:
        return None
    if name.isdigit():
        return Team.objects.filter(pk=int(name)).first()
    return Team.objects.filter(name__iexact=name).first()


def take(alerts: list[Alert], *, source: str) -> dict[str, int]:
    """Open, join or resolve the incidents of these alerts."""
    opened = resolved = 0
    now = timezone.now()
    for alert in alerts:
        if alert.firing:
            body = "\n".join(part for part in (alert.title, alert.description) if part)
            incident = actions.open_incident(
                key=alert.key,
                source=source,
                title=alert.title,
                body=body,
                team=_team(alert.team),
                started_at=alert.started_at or now,
                evidence={"source": source, **alert.details},
            )
            opened += incident is not None
        else:
            note = _("Resolved by %(source)s.") % {"source": Source(source).label}
            done = actions.resolve_incident(alert.key, at=now, note=note)
            resolved += done is not None
    return {"firing": opened, "resolved": resolved}
