"""Every write of monitoring: monitors and maintenance windows (console and API), the
results the runner brings, heartbeats, and incidents with their problem tickets.

Incidents are opened from three places (a monitor going down, an Alertmanager alert
firing, a signed webhook) through one function, `open_incident`, so the flap guard and
the ticket work the same for all.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opora.accounts.models import Role, Team, User
from opora.core import clock as wall_clock
from opora.core.audit import record_change, snapshot
from opora.core.errors import Forbidden, ValidationFailed
from opora.core.transaction import after_commit
from opora.monitoring import errors, guard, notices, status
from opora.monitoring.checks import Outcome, host_port, valid_expected_status
from opora.monitoring.models import (
    MAX_INTERVAL_SECONDS,
    MIN_INTERVAL_SECONDS,
    CheckResult,
    Incident,
    Kind,
    MaintenanceWindow,
    Monitor,
    Source,
    State,
    new_token,
)
from opora.monitoring.selectors import in_maintenance, lead_team_ids, require_manager
from opora.monitoring.states import advance
from opora.tickets.actions import add_message, create_ticket
from opora.tickets.models import Channel, Priority, TicketType

MONITORING_EMAIL = "monitoring@opora.invalid"
AREA = "monitoring"
FIELDS = (
    "name",
    "kind",
    "target",
    "team",
    "active",
    "interval_seconds",
    "timeout_seconds",
    "down_after",
    "up_after",
    "expected_status",
    "keyword",
    "json_path",
    "json_value",
    "max_response_ms",
    "verify_tls",
    "cert_warn_days",
    "dns_expected",
    "public",
    "public_name",
    "public_group",
)
HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?)+$")
JSON_PATH = re.compile(r"^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$")
DEFAULTS: dict[str, Any] = {
    "target": "",
    "team": None,
    "active": True,
    "interval_seconds": 60,
    "timeout_seconds": 10,
    "down_after": 3,
    "up_after": 1,
    "expected_status": "200-399",
    "keyword": "",
    "json_path": "",
    "json_value": "",
    "max_response_ms": None,
    "verify_tls": True,
    "cert_warn_days": 14,
    "dns_expected": "",
    "public": False,
    "public_name": "",
    "public_group": "",
}


def monitoring_user() -> User:
    """The author of incident tickets and their notes: an agent that cannot sign in."""
    user, _created = User.objects.get_or_create(
        email=MONITORING_EMAIL,
        defaults={"name": "Monitoring", "role": Role.AGENT, "is_active": False},
    )
    return user


# --- Checking what a person wrote --------------------------------------------------


def _int(values: Mapping[str, Any], name: str, low: int, high: int, code: str) -> int:
    value = values.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(
            code,
            _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            field=name,
        )
    return value


def _text(values: Mapping[str, Any], name: str, limit: int) -> str:
    value = values.get(name) or ""
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailed(
            errors.INVALID_TARGET,
            _("At most %(limit)s characters.") % {"limit": limit},
            field=name,
        )
    return value.strip()


def _refuse_private(host: str) -> None:
    """Refuse a target that is (or resolves to) an address monitors may not reach."""
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            addresses = [str(i[4][0]) for i in socket.getaddrinfo(host, None)]
        except (OSError, UnicodeError):
            return  # not resolvable yet: the checks will say so
    for address in addresses:
        try:
            guard.check_address(address)
        except guard.Refused:
            raise ValidationFailed(
                errors.PRIVATE_TARGET,
                _(
                    "This address is in a private, loopback or cloud-metadata range. "
                    "An administrator may allow private ranges (OPORA_MONITORING_ALLOW_PRIVATE)."
                ),
                field="target",
            ) from None


def _clean_target(kind: str, target: str) -> str:
    bad = ValidationFailed(errors.INVALID_TARGET, _("Enter a valid target."), field="target")
    if kind == Kind.HEARTBEAT:
        return ""
    if not target:
        raise ValidationFailed(errors.INVALID_TARGET, _("Enter a target."), field="target")
    if kind == Kind.HTTP:
        try:
            parts = urlsplit(target)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise bad from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationFailed(
                errors.INVALID_TARGET,
                _("Enter an address starting with http:// or https://."),
                field="target",
            )
        _refuse_private(parts.hostname)
        return target
    try:
        host, port = host_port(target, 0 if kind == Kind.TCP else 443)
    except ValueError:
        raise bad from None
    if kind in (Kind.DNS, Kind.PING) and ":" in target and not guard.is_ip_literal(target):
        raise bad
    if kind == Kind.TCP and not port:
        raise ValidationFailed(
            errors.INVALID_TARGET, _("Enter host:port, e.g. db.example.com:5432."), field="target"
        )
    if not (HOST.match(host) or guard.is_ip_literal(host)):
        raise bad
    if kind != Kind.DNS:
        _refuse_private(host)
    return target


def _clean_team(by: User, team_id: Any) -> Team | None:
    if team_id in (None, ""):
        if not by.is_admin:
            raise ValidationFailed(
                errors.NOT_YOUR_TEAM, _("Choose one of your teams."), field="team"
            )
        return None
    team = Team.objects.filter(pk=team_id).first() if isinstance(team_id, int) else None
    if team is None:
        raise ValidationFailed(errors.UNKNOWN_TEAM, _("There is no such team."), field="team")
    if not by.is_admin and team.pk not in lead_team_ids(by):
        raise ValidationFailed(errors.NOT_YOUR_TEAM, _("Choose one of your teams."), field="team")
    return team


def clean_values(by: User, values: Mapping[str, Any]) -> dict[str, Any]:
    """The monitor's fields as stored, or ValidationFailed naming the field."""
    name = _text(values, "name", 120)
    if not name:
        raise ValidationFailed(errors.INVALID_NAME, _("Enter a name."), field="name")
    kind = values.get("kind")
    if kind not in Kind.values:
        raise ValidationFailed(errors.INVALID_KIND, _("Unknown kind of check."), field="kind")
    clean: dict[str, Any] = {"name": name, "kind": kind}
    clean["target"] = _clean_target(kind, _text(values, "target", 2000))
    clean["team"] = _clean_team(by, values.get("team"))
    clean["active"] = bool(values.get("active", True))
    interval = _int(
        values,
        "interval_seconds",
        MIN_INTERVAL_SECONDS,
        MAX_INTERVAL_SECONDS,
        errors.INVALID_INTERVAL,
    )
    clean["interval_seconds"] = interval
    # A check must end before the next one starts (a heartbeat's grace may be longer).
    top = 3600 if kind == Kind.HEARTBEAT else min(60, interval - 1)
    clean["timeout_seconds"] = _int(values, "timeout_seconds", 1, top, errors.INVALID_TIMEOUT)
    clean["down_after"] = _int(values, "down_after", 1, 20, errors.INVALID_COUNT)
    clean["up_after"] = _int(values, "up_after", 1, 20, errors.INVALID_COUNT)
    expected = _text(values, "expected_status", 60) or "200-399"
    if not valid_expected_status(expected):
        raise ValidationFailed(
            errors.INVALID_STATUS,
            _("Codes and ranges separated by commas, e.g. 200-299, 301."),
            field="expected_status",
        )
    clean["expected_status"] = expected
    clean["keyword"] = _text(values, "keyword", 200)
    clean["json_path"] = _text(values, "json_path", 200)
    if clean["json_path"] and not JSON_PATH.match(clean["json_path"]):
        raise ValidationFailed(
            errors.INVALID_JSON_PATH,
            _("Keys separated by dots, e.g. status.database or items.0.state."),
            field="json_path",
        )
    clean["json_value"] = _text(values, "json_value", 200)
    slow = values.get("max_response_ms")
    clean["max_response_ms"] = (
        None
        if slow in (None, "")
        else _int(values, "max_response_ms", 1, 60000, errors.INVALID_COUNT)
    )
    clean["verify_tls"] = bool(values.get("verify_tls", True))
    clean["cert_warn_days"] = _int(values, "cert_warn_days", 0, 365, errors.INVALID_COUNT)
    clean["dns_expected"] = _text(values, "dns_expected", 200)
    clean["public"] = bool(values.get("public", False))
    clean["public_name"] = _text(values, "public_name", 120)
    clean["public_group"] = _text(values, "public_group", 120)
    return clean


def _snapshot(monitor: Monitor) -> dict[str, Any]:
    return snapshot(monitor, [f if f != "team" else "team_id" for f in FIELDS])


# --- Monitors -----------------------------------------------------------------------


def create_monitor(*, by: User, values: Mapping[str, Any]) -> Monitor:
    require_manager(by)
    clean = clean_values(by, DEFAULTS | dict(values))
    with transaction.atomic():
        monitor = Monitor.objects.create(**clean, next_due_at=timezone.now())
        record_change(
            actor=by, area=AREA, action="created", target=monitor, changes=_snapshot(monitor)
        )
        status.rebuild_after_commit()
    return monitor


def update_monitor(monitor: Monitor, *, by: User, changes: Mapping[str, Any]) -> Monitor:
    """Change some fields (those given); the schedule restarts so a fixed monitor is
    checked again at once."""
    require_manager(by)
    current = {f: getattr(monitor, f) for f in FIELDS if f != "team"} | {"team": monitor.team_id}
    clean = clean_values(by, current | dict(changes))
    with transaction.atomic():
        before = _snapshot(monitor)
        for name, value in clean.items():
            setattr(monitor, name, value)
        monitor.next_due_at = timezone.now()
        monitor.save()
        record_change(
            actor=by,
            area=AREA,
            action="changed",
            target=monitor,
            changes={k: [before[k], v] for k, v in _snapshot(monitor).items() if before[k] != v},
        )
        status.rebuild_after_commit()
    return monitor


def delete_monitor(monitor: Monitor, *, by: User) -> None:
    require_manager(by)
    with transaction.atomic():
        record_change(actor=by, area=AREA, action="deleted", target=monitor)
        monitor.delete()
        status.rebuild_after_commit()


def new_push_token(monitor: Monitor, *, by: User) -> Monitor:
    require_manager(by)
    with transaction.atomic():
        monitor.push_token = new_token()
        monitor.save(update_fields=["push_token", "updated_at"])
        record_change(actor=by, area=AREA, action="push_token", target=monitor)
    return monitor


def record_push(token: str) -> Monitor | None:
    """A heartbeat monitor's cron job says it ran: the monitor is checked at once."""
    now = timezone.now()
    found = Monitor.objects.filter(push_token=token, kind=Kind.HEARTBEAT).first()
    if found is None or not token:
        return None
    Monitor.objects.filter(pk=found.pk).update(last_push_at=now, next_due_at=now)
    found.last_push_at = now
    return found


# --- Maintenance windows ------------------------------------------------------------


def create_window(
    *,
    by: User,
    monitor: Monitor | None,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> MaintenanceWindow:
    require_manager(by)
    if monitor is None and not by.is_admin:
        raise Forbidden(
            errors.ADMINS_OR_LEADS, _("Only administrators plan maintenance of every monitor.")
        )
    if ends_at <= starts_at:
        raise ValidationFailed(
            errors.INVALID_WINDOW, _("The end must come after the start."), field="ends_at"
        )
    if ends_at - starts_at > timedelta(days=31):
        raise ValidationFailed(
            errors.INVALID_WINDOW, _("A window lasts at most 31 days."), field="ends_at"
        )
    if len(note) > 200:
        raise ValidationFailed(
            errors.INVALID_WINDOW, _("At most %(limit)s characters.") % {"limit": 200}, field="note"
        )
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            monitor=monitor, starts_at=starts_at, ends_at=ends_at, note=note.strip()
        )
        record_change(
            actor=by,
            area=AREA,
            action="maintenance",
            target_type="maintenancewindow",
            target_id=window.pk,
            label=monitor.name if monitor else "*",
            changes={"starts_at": starts_at, "ends_at": ends_at, "note": note},
        )
        status.rebuild_after_commit()
    return window


def delete_window(window: MaintenanceWindow, *, by: User) -> None:
    require_manager(by)
    with transaction.atomic():
        record_change(
            actor=by,
            area=AREA,
            action="maintenance_deleted",
            target_type="maintenancewindow",
            target_id=window.pk,
        )
        window.delete()
        status.rebuild_after_commit()


# --- Results from the runner --------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    monitor_id: int
    at: datetime
    outcome: Outcome


STATE_FIELDS = [
    "state",
    "state_since",
    "failures",
    "successes",
    "last_checked_at",
    "last_ok",
    "last_ms",
    "last_code",
    "last_error",
    "cert_expires_at",
]


def record_results(batch: list[Checked]) -> dict[str, list[int]]:
    """Store a batch of results, move each monitor's state, then open and resolve
    incidents. Returns the ids that went down and came up (for logs and tests)."""
    if not batch:
        return {"down": [], "up": []}
    now = timezone.now()
    opening: list[tuple[Monitor, Checked]] = []
    recovered: list[tuple[Monitor, Checked]] = []
    with transaction.atomic():
        CheckResult.objects.bulk_create(
            [
                CheckResult(
                    monitor_id=c.monitor_id,
                    at=c.at,
                    ok=c.outcome.ok,
                    ms=c.outcome.ms,
                    code=c.outcome.code,
                )
                for c in batch
            ]
        )
        monitors = Monitor.objects.in_bulk([c.monitor_id for c in batch])
        changed: list[Monitor] = []
        shown = False  # a public monitor changed state: the status page changes
        failing_down: list[tuple[Monitor, Checked]] = []
        for checked in sorted(batch, key=lambda c: c.at):
            monitor = monitors.get(checked.monitor_id)
            if monitor is None:
                continue  # deleted meanwhile
            was = monitor.state
            step = advance(
                was,
                monitor.failures,
                monitor.successes,
                checked.outcome.ok,
                down_after=monitor.down_after,
                up_after=monitor.up_after,
            )
            _apply(monitor, step.state, step.failures, step.successes, checked)
            if step.changed:
                monitor.state_since = checked.at
                shown = shown or monitor.public
            if step.state == State.DOWN and not checked.outcome.ok:
                failing_down.append((monitor, checked))
            if step.changed and was == State.DOWN and step.state == State.UP:
                recovered.append((monitor, checked))
            changed.append(monitor)
        Monitor.objects.bulk_update(list({m.pk: m for m in changed}.values()), STATE_FIELDS)
        if shown:
            status.rebuild_after_commit()
        if failing_down:
            ids = [m.pk for m, _c in failing_down]
            quiet = in_maintenance(ids, now)
            open_keys = set(
                Incident.objects.filter(
                    key__in=[monitor_key(i) for i in ids], resolved_at__isnull=True
                ).values_list("key", flat=True)
            )
            seen: set[int] = set()
            for monitor, checked in failing_down:
                if (
                    monitor.pk not in quiet
                    and monitor_key(monitor.pk) not in open_keys
                    and monitor.pk not in seen
                ):
                    seen.add(monitor.pk)
                    opening.append((monitor, checked))
    for monitor, checked in opening:
        open_monitor_incident(monitor, checked)
    for monitor, checked in recovered:
        resolve_incident(
            monitor_key(monitor.pk),
            at=checked.at,
            note=_recovery_note(monitor, checked),
        )
    return {"down": [m.pk for m, _c in opening], "up": [m.pk for m, _c in recovered]}


def _apply(monitor: Monitor, state: str, failures: int, successes: int, checked: Checked) -> None:
    outcome = checked.outcome
    monitor.state = state
    monitor.failures = failures
    monitor.successes = successes
    monitor.last_checked_at = checked.at
    monitor.last_ok = outcome.ok
    monitor.last_ms = outcome.ms
    monitor.last_code = outcome.code
    monitor.last_error = outcome.error[:300]
    if outcome.cert_expires_at is not None:
        monitor.cert_expires_at = outcome.cert_expires_at


def monitor_key(monitor_id: int) -> str:
    return f"monitor:{monitor_id}"


def _desk_language() -> str:
    return str(settings.LANGUAGE_CODE)


def _recovery_note(monitor: Monitor, checked: Checked) -> str:
    with translation.override(_desk_language()):
        return _("%(name)s is up again (%(ms)s ms).") % {
            "name": monitor.name,
            "ms": checked.outcome.ms if checked.outcome.ms is not None else "—",
        }


def open_monitor_incident(monitor: Monitor, checked: Checked) -> Incident | None:
    # The first failure of this run of failures: one interval apart each.
    started = checked.at - timedelta(seconds=monitor.interval_seconds * (monitor.failures - 1))
    with translation.override(_desk_language()):
        title = _("%(name)s is down") % {"name": monitor.name}
        lines = [
            _("Monitor “%(name)s” (%(kind)s, %(target)s) is down after %(n)s failed checks.")
            % {
                "name": monitor.name,
                "kind": Kind(monitor.kind).label,
                "target": monitor.target or "—",
                "n": monitor.failures,
            },
            _("Last error: %(error)s") % {"error": checked.outcome.error or "—"},
        ]
    evidence = checked.outcome.evidence | {
        "error": checked.outcome.error,
        "checked_at": checked.at.isoformat(),
        "failures": monitor.failures,
    }
    return open_incident(
        key=monitor_key(monitor.pk),
        source=Source.MONITOR,
        title=title,
        body="\n".join(lines),
        team=monitor.team,
        started_at=started,
        evidence=evidence,
        monitor=monitor,
    )


def open_incident(
    *,
    key: str,
    source: str,
    title: str,
    body: str,
    team: Team | None,
    started_at: datetime,
    evidence: dict[str, Any],
    monitor: Monitor | None = None,
) -> Incident | None:
    """Open an incident with its problem ticket, or join the open one, or reopen the
    one resolved within the cool-down (the flap guard). None when another process
    opened it at the same moment."""
    now = wall_clock.now()
    cooldown = timedelta(minutes=settings.MONITORING_FLAP_COOLDOWN_MINUTES)
    robot = monitoring_user()
    try:
        with transaction.atomic():
            current = Incident.objects.select_for_update().filter(key=key).order_by("-id").first()
            if current is not None and current.resolved_at is None:
                return current  # already open: nothing new to say
            if (
                current is not None
                and current.resolved_at is not None
                and now - current.resolved_at <= cooldown
            ):
                current.resolved_at = None
                current.customers_told_at = None  # told again when it is over again
                current.downs += 1
                current.evidence = evidence
                current.save(
                    update_fields=["resolved_at", "customers_told_at", "downs", "evidence"]
                )
                status.rebuild_after_commit()
                if current.ticket is not None:
                    with translation.override(_desk_language()):
                        note = _("Down again (%(n)s times since this incident opened).") % {
                            "n": current.downs
                        }
                    add_message(current.ticket, by=robot, body=f"{note}\n{body}", internal=True)
                return current
            ticket = create_ticket(
                requester=robot,
                by=robot,
                subject=title[:200],
                body=body + "\n\n" + _evidence_text(evidence),
                channel=Channel.MONITORING,
                type=TicketType.PROBLEM,
                priority=Priority.URGENT,
                team=team,
                tags=["monitoring", source],
            )
            incident = Incident.objects.create(
                key=key,
                source=source,
                monitor=monitor,
                team=team,
                title=title[:300],
                ticket=ticket,
                started_at=min(started_at, now),
                detected_at=now,
                evidence=evidence,
            )
            after_commit(notices.incident_opened, incident.pk)
            status.rebuild_after_commit()
            return incident
    except IntegrityError:
        return None  # another worker opened it a moment ago


def _evidence_text(evidence: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {str(v)[:300]}" for k, v in evidence.items() if v not in ("", None))


def resolve_incident(key: str, *, at: datetime, note: str) -> Incident | None:
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .filter(key=key, resolved_at__isnull=True)
            .select_related("ticket")
            .first()
        )
        if incident is None:
            return None
        incident.resolved_at = max(at, incident.started_at)
        incident.save(update_fields=["resolved_at"])
        status.rebuild_after_commit()
        _tell_customers_after_commit(incident.pk)
        if incident.ticket is not None and note:
            add_message(incident.ticket, by=monitoring_user(), body=note, internal=True)
    return incident


def _tell_customers_after_commit(incident_id: int) -> None:
    from opora.core.tasks import enqueue_after_commit
    from opora.monitoring.tasks import tell_linked_customers

    enqueue_after_commit(tell_linked_customers, incident_id)


# --- Retention and rollups -----------------------------------------------------------


def forget_old(now: datetime | None = None) -> dict[str, int]:
    """Delete raw results and rollups past their retention."""
    from opora.monitoring.models import Period, Rollup

    now = now or timezone.now()
    raw, _kinds = CheckResult.objects.filter(
        at__lt=now - timedelta(days=settings.MONITORING_RAW_DAYS)
    ).delete()
    hourly, _kinds = Rollup.objects.filter(
        period=Period.HOUR, start__lt=now - timedelta(days=settings.MONITORING_HOURLY_DAYS)
    ).delete()
    daily, _kinds = Rollup.objects.filter(
        period=Period.DAY, start__lt=now - timedelta(days=settings.MONITORING_DAILY_DAYS)
    ).delete()
    MaintenanceWindow.objects.filter(ends_at__lt=now - timedelta(days=30)).delete()
    return {"raw": raw, "hourly": hourly, "daily": daily}
