"""Site monitoring: monitors (admins; team leads for their teams), their results,
uptime and incidents, maintenance windows, and the doors for other monitoring
(Alertmanager, a signed generic webhook, heartbeat pushes), which take no token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import Field

from opora.api.common import ErrorOut, StrictInput, current_user
from opora.core import jsonin
from opora.core.errors import NotFound, RateLimited, TooLarge, ValidationFailed
from opora.core.ratelimit import client_address, hit
from opora.monitoring import actions, errors, intake, linking, subscribers, updates
from opora.monitoring.models import Incident, IncidentUpdate, MaintenanceWindow, Monitor, Source
from opora.monitoring.selectors import (
    access_incident,
    access_monitor,
    incident_figures,
    monthly_uptime,
    push_url,
    require_manager,
    series,
    uptime_24h,
    visible_incidents,
    visible_monitors,
    windows_of,
)

router = Router(tags=["monitoring"])
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
KINDS = Literal["http", "tls", "tcp", "dns", "ping", "heartbeat"]


class TeamRef(Schema):
    id: int
    name: str


class MonitorOut(Schema):
    id: int
    name: str
    kind: KINDS
    target: str = Field(description="http: URL; tls, tcp: host:port; dns, ping: host")
    team: TeamRef | None
    active: bool
    interval_seconds: int
    timeout_seconds: int
    down_after: int = Field(description="consecutive failures before down")
    up_after: int = Field(description="consecutive successes before up again")
    expected_status: str = Field(description='HTTP codes and ranges, e.g. "200-299, 301"')
    keyword: str
    json_path: str = Field(description='a dotted path into the JSON body, e.g. "items.0.state"')
    json_value: str
    max_response_ms: int | None
    verify_tls: bool
    cert_warn_days: int
    dns_expected: str
    public: bool = Field(description="shown on the public status page (/status/)")
    public_name: str = Field(description="the name on the status page; empty: name")
    public_group: str = Field(description="the component group on the status page")
    push_url: str | None = Field(description="heartbeat monitors: where the job reports")
    state: Literal["unknown", "up", "down"]
    state_since: datetime | None
    last_checked_at: datetime | None
    last_ok: bool | None
    last_ms: int | None
    last_code: int | None
    last_error: str
    cert_expires_at: datetime | None
    uptime_24h: float | None = Field(description="percent of good checks in 24 hours")


class MonitorIn(StrictInput):
    name: str = Field(max_length=120)
    kind: KINDS
    target: str = Field("", max_length=2000)
    team: int | None = None
    active: bool = True
    interval_seconds: int = Field(60, description="20 to 86400")
    timeout_seconds: int = 10
    down_after: int = 3
    up_after: int = 1
    expected_status: str = Field("200-399", max_length=60)
    keyword: str = Field("", max_length=200)
    json_path: str = Field("", max_length=200)
    json_value: str = Field("", max_length=200)
    max_response_ms: int | None = None
    verify_tls: bool = True
    cert_warn_days: int = 14
    dns_expected: str = Field("", max_length=200)
    public: bool = False
    public_name: str = Field("", max_length=120)
    public_group: str = Field("", max_length=120)


class MonitorPatch(StrictInput):
    name: str | None = Field(None, max_length=120)
    kind: KINDS | None = None
    target: str | None = Field(None, max_length=2000)
    team: int | None = None
    active: bool | None = None
    interval_seconds: int | None = None
    timeout_seconds: int | None = None
    down_after: int | None = None
    up_after: int | None = None
    expected_status: str | None = Field(None, max_length=60)
    keyword: str | None = Field(None, max_length=200)
    json_path: str | None = Field(None, max_length=200)
    json_value: str | None = Field(None, max_length=200)
    max_response_ms: int | None = None
    verify_tls: bool | None = None
    cert_warn_days: int | None = None
    dns_expected: str | None = Field(None, max_length=200)
    public: bool | None = None
    public_name: str | None = Field(None, max_length=120)
    public_group: str | None = Field(None, max_length=120)


class ResultOut(Schema):
    at: datetime
    ok: bool
    ms: int | None
    code: int | None


class PointOut(Schema):
    start: datetime
    checks: int
    ok: int
    uptime: float | None
    avg_ms: float | None


class MonthOut(Schema):
    month: str = Field(description="YYYY-MM")
    uptime: float | None
    checks: int


class UptimeOut(Schema):
    span: Literal["24h", "7d", "90d"]
    points: list[PointOut]
    months: list[MonthOut]


class IncidentOut(Schema):
    id: int
    key: str
    source: Literal["monitor", "alertmanager", "webhook"]
    monitor: int | None
    team: TeamRef | None
    title: str
    ticket: int | None = Field(description="the problem ticket's number")
    started_at: datetime
    detected_at: datetime
    resolved_at: datetime | None
    downs: int
    evidence: dict[str, Any]
    public_title: str = Field(description="the title on the status page; empty: default")
    keywords: str = Field(description="extra words of customer tickets, comma-separated")


class IncidentKpisOut(Schema):
    count: int
    open: int
    detect_seconds: float | None = Field(description="mean, first failure to incident")
    resolve_seconds: float | None = Field(description="mean, first failure to resolution")


class WindowIn(StrictInput):
    monitor: int | None = Field(None, description="null: every monitor (admins)")
    starts_at: datetime
    ends_at: datetime
    note: str = Field("", max_length=200)


class WindowOut(Schema):
    id: int
    monitor: int | None
    starts_at: datetime
    ends_at: datetime
    note: str


class IntakeOut(Schema):
    firing: int = Field(description="incidents opened or joined")
    resolved: int


class PushOut(Schema):
    ok: bool


def _team(team: Any) -> dict[str, Any] | None:
    return {"id": team.pk, "name": team.name} if team is not None else None


def monitor_out(monitor: Monitor, uptime: float | None = None) -> dict[str, Any]:
    fields = {f: getattr(monitor, f) for f in actions.FIELDS if f != "team"}
    return fields | {
        "id": monitor.pk,
        "team": _team(monitor.team),
        "push_url": push_url(monitor),
        "state": monitor.state,
        "state_since": monitor.state_since,
        "last_checked_at": monitor.last_checked_at,
        "last_ok": monitor.last_ok,
        "last_ms": monitor.last_ms,
        "last_code": monitor.last_code,
        "last_error": monitor.last_error,
        "cert_expires_at": monitor.cert_expires_at,
        "uptime_24h": uptime,
    }


def incident_out(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "key": incident.key,
        "source": incident.source,
        "monitor": incident.monitor_id,
        "team": _team(incident.team),
        "title": incident.title,
        "ticket": incident.ticket.number if incident.ticket else None,
        "started_at": incident.started_at,
        "detected_at": incident.detected_at,
        "resolved_at": incident.resolved_at,
        "downs": incident.downs,
        "evidence": incident.evidence,
        "public_title": incident.public_title,
        "keywords": incident.keywords,
    }


@router.get(
    "/monitoring/monitors",
    response={200: list[MonitorOut], **ERRORS},
    summary="List monitors with their state and 24-hour uptime",
    operation_id="opora_api_monitors_list",
)
def list_monitors(request: HttpRequest) -> list[dict[str, Any]]:
    found = list(visible_monitors(current_user(request))[:2000])
    uptime = uptime_24h([m.pk for m in found])
    return [monitor_out(m, uptime.get(m.pk)) for m in found]


@router.post(
    "/monitoring/monitors",
    response={201: MonitorOut, **ERRORS},
    summary="Add a monitor (admins; team leads for their teams)",
    operation_id="opora_api_monitors_create",
)
def create_monitor(request: HttpRequest, payload: MonitorIn) -> Status[dict[str, Any]]:
    monitor = actions.create_monitor(by=current_user(request), values=payload.model_dump())
    return Status(201, monitor_out(monitor))


@router.get(
    "/monitoring/monitors/{monitor_id}",
    response={200: MonitorOut, **ERRORS},
    summary="A monitor",
    operation_id="opora_api_monitors_get",
)
def get_monitor(request: HttpRequest, monitor_id: int) -> dict[str, Any]:
    monitor = access_monitor(current_user(request), monitor_id)
    return monitor_out(monitor, uptime_24h([monitor.pk])[monitor.pk])


@router.patch(
    "/monitoring/monitors/{monitor_id}",
    response={200: MonitorOut, **ERRORS},
    summary="Change a monitor (the fields given)",
    operation_id="opora_api_monitors_update",
)
def update_monitor(request: HttpRequest, monitor_id: int, payload: MonitorPatch) -> dict[str, Any]:
    user = current_user(request)
    monitor = access_monitor(user, monitor_id)
    changes = payload.model_dump(exclude_unset=True)
    return monitor_out(actions.update_monitor(monitor, by=user, changes=changes))


@router.delete(
    "/monitoring/monitors/{monitor_id}",
    response={204: None, **ERRORS},
    summary="Delete a monitor with its results (its incidents stay)",
    operation_id="opora_api_monitors_delete",
)
def delete_monitor(request: HttpRequest, monitor_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_monitor(access_monitor(user, monitor_id), by=user)
    return Status(204, None)


@router.get(
    "/monitoring/monitors/{monitor_id}/results",
    response={200: list[ResultOut], **ERRORS},
    summary="A monitor's latest raw results, newest first",
    operation_id="opora_api_monitor_results",
)
def monitor_results(
    request: HttpRequest, monitor_id: int, limit: int = Query(100, ge=1, le=1000)
) -> list[Any]:
    monitor = access_monitor(current_user(request), monitor_id)
    return list(monitor.results.order_by("-at").values("at", "ok", "ms", "code")[:limit])


@router.get(
    "/monitoring/monitors/{monitor_id}/uptime",
    response={200: UptimeOut, **ERRORS},
    summary="Response time and uptime over 24 hours, 7 or 90 days; uptime per month",
    operation_id="opora_api_monitor_uptime",
)
def monitor_uptime(
    request: HttpRequest, monitor_id: int, span: Literal["24h", "7d", "90d"] = "24h"
) -> dict[str, Any]:
    monitor = access_monitor(current_user(request), monitor_id)
    points = [
        {"start": p.start, "checks": p.checks, "ok": p.ok, "uptime": p.uptime, "avg_ms": p.avg_ms}
        for p in series(monitor, span)
    ]
    months = [{"month": m, "uptime": u, "checks": n} for m, u, n in monthly_uptime(monitor)]
    return {"span": span, "points": points, "months": months}


@router.get(
    "/monitoring/incidents",
    response={200: list[IncidentOut], **ERRORS},
    summary="Incidents, newest first",
    operation_id="opora_api_incidents_list",
)
def list_incidents(
    request: HttpRequest,
    open: bool | None = None,
    monitor: int | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> list[dict[str, Any]]:
    found = visible_incidents(current_user(request))
    if open is not None:
        found = found.filter(resolved_at__isnull=open)
    if monitor is not None:
        found = found.filter(monitor_id=monitor)
    return [incident_out(i) for i in found[:limit]]


@router.get(
    "/monitoring/incidents/kpis",
    response={200: IncidentKpisOut, **ERRORS},
    summary="Incidents detected in a period: count, mean time to detect and to resolve",
    operation_id="opora_api_incidents_kpis",
)
def incident_kpis(
    request: HttpRequest,
    start: datetime | None = None,
    end: datetime | None = None,
    team: int | None = None,
) -> dict[str, Any]:
    require_manager(current_user(request))
    end = end or timezone.now()
    start = start or end - timedelta(days=30)
    figures = incident_figures(start, end, team_id=team)
    return {
        "count": figures.count,
        "open": figures.open,
        "detect_seconds": figures.detect_seconds,
        "resolve_seconds": figures.resolve_seconds,
    }


@router.get(
    "/monitoring/maintenance",
    response={200: list[WindowOut], **ERRORS},
    summary="Maintenance windows of a monitor (and those of every monitor)",
    operation_id="opora_api_maintenance_list",
)
def list_windows(request: HttpRequest, monitor: int) -> list[dict[str, Any]]:
    found = access_monitor(current_user(request), monitor)
    return [_window_out(w) for w in windows_of(found)]


def _window_out(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": window.pk,
        "monitor": window.monitor_id,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "note": window.note,
    }


@router.post(
    "/monitoring/maintenance",
    response={201: WindowOut, **ERRORS},
    summary="Plan a maintenance window: checks run, no incident opens",
    operation_id="opora_api_maintenance_create",
)
def create_window(request: HttpRequest, payload: WindowIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    monitor = access_monitor(user, payload.monitor) if payload.monitor is not None else None
    window = actions.create_window(
        by=user,
        monitor=monitor,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        note=payload.note,
    )
    return Status(201, _window_out(window))


@router.delete(
    "/monitoring/maintenance/{window_id}",
    response={204: None, **ERRORS},
    summary="Delete a maintenance window",
    operation_id="opora_api_maintenance_delete",
)
def delete_window(request: HttpRequest, window_id: int) -> Status[None]:
    user = current_user(request)
    window = MaintenanceWindow.objects.filter(pk=window_id).first()
    if window is None or (window.monitor_id is None and not user.is_admin):
        raise NotFound(_("maintenance window"))
    if window.monitor_id is not None:
        access_monitor(user, window.monitor_id)
    actions.delete_window(window, by=user)
    return Status(204, None)


# --- Doors for other monitoring (no token: a shared secret) -----------------------


def _body(request: HttpRequest) -> bytes:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = b"" if length > intake.MAX_BODY_BYTES else request.body
    if length > intake.MAX_BODY_BYTES or len(body) > intake.MAX_BODY_BYTES:
        raise TooLarge(errors.TOO_LARGE, _("The body is too large."))
    return body


def _json(body: bytes) -> Any:
    try:
        return jsonin.loads(body)
    except jsonin.BadJson:
        raise ValidationFailed(errors.BAD_ALERT, _("The body is not valid JSON.")) from None


@router.post(
    "/monitoring/alertmanager",
    auth=None,
    response={200: IntakeOut, **ERRORS},
    summary="Prometheus Alertmanager webhook (Authorization: Bearer <secret>)",
    description=(
        "Alertmanager's webhook_config body (version 4). Each alert's fingerprint names "
        "its incident: firing opens or joins it as a problem ticket, resolved resolves it. "
        "The label opora_team (or team) names the team by name or id. The bearer token is "
        "OPORA_MONITORING_WEBHOOK_SECRET; 404 while it is unset, 403 and nothing written "
        "when it is wrong."
    ),
    operation_id="opora_api_monitoring_alertmanager",
)
def alertmanager(request: HttpRequest) -> dict[str, int]:
    intake.verify_bearer(request.headers.get("Authorization", ""))
    alerts = intake.read_alertmanager(_json(_body(request)))
    return intake.take(alerts, source=Source.ALERTMANAGER)


@router.post(
    "/monitoring/webhook",
    auth=None,
    response={200: IntakeOut, **ERRORS},
    summary="Generic signed alert webhook",
    description=(
        'Body: {"key": "db-primary", "status": "firing"|"resolved", "title": "…", '
        '"description": "…", "team": "<team name or id>", "started_at": "<ISO 8601>"}. '
        "Headers: X-Opora-Timestamp (Unix seconds, within 5 minutes) and X-Opora-Signature "
        '= "sha256=" + hex HMAC-SHA256(OPORA_MONITORING_WEBHOOK_SECRET, '
        '"<timestamp>.<raw body>"). A wrong signature: 403, nothing written.'
    ),
    operation_id="opora_api_monitoring_webhook",
)
def signed_webhook(request: HttpRequest) -> dict[str, int]:
    body = _body(request)
    intake.verify_signature(
        request.headers.get(intake.TIMESTAMP_HEADER, ""),
        request.headers.get(intake.SIGNATURE_HEADER, ""),
        body,
    )
    return intake.take(intake.read_generic(_json(body)), source=Source.WEBHOOK)


@router.api_operation(
    ["GET", "POST"],
    "/monitoring/push/{token}",
    auth=None,
    response={200: PushOut, **ERRORS},
    summary="A heartbeat: the cron job of a push monitor reports that it ran",
    operation_id="opora_api_monitoring_push",
)
def push(request: HttpRequest, token: str) -> dict[str, bool]:
    if len(token) > 64 or actions.record_push(token) is None:
        raise NotFound(_("monitor"))
    return {"ok": True}


# --- Incident updates, linked customer tickets, the status page ----------------------


class UpdateIn(StrictInput):
    status: Literal["investigating", "identified", "monitoring", "resolved"]
    body: str = Field(max_length=5000)
    public: bool = Field(True, description="on the status page and mailed to its subscribers")


class UpdateOut(Schema):
    id: int
    status: str
    body: str
    public: bool
    author: int | None
    created_at: datetime


class ResolveIn(StrictInput):
    note: str = Field("", max_length=500)


class IncidentPatch(StrictInput):
    public_title: str | None = Field(None, max_length=300)
    keywords: str | None = Field(None, max_length=300, description="comma-separated")


class TicketRef(Schema):
    number: int
    subject: str
    language: str
    status: str
    requester: str


class LinkIn(StrictInput):
    tickets: list[int] = Field(description="customer ticket numbers; all are linked or none")


class AnswerIn(StrictInput):
    body_en: str = Field("", max_length=10000)
    body_ru: str = Field("", max_length=10000)


class CountOut(Schema):
    count: int


class SubscribeIn(StrictInput):
    email: str = Field(max_length=254)
    language: Literal["en", "ru"] = "en"


def _update_out(update: IncidentUpdate) -> dict[str, Any]:
    return {
        "id": update.pk,
        "status": update.status,
        "body": update.body,
        "public": update.public,
        "author": update.author_id,
        "created_at": update.created_at,
    }


def _ticket_ref(ticket: Any) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "language": ticket.language,
        "status": ticket.status,
        "requester": ticket.requester.display_name,
    }


@router.get(
    "/monitoring/incidents/{incident_id}/updates",
    response={200: list[UpdateOut], **ERRORS},
    summary="An incident's updates, newest first",
    operation_id="opora_api_incident_updates_list",
)
def list_updates(request: HttpRequest, incident_id: int) -> list[dict[str, Any]]:
    incident = access_incident(current_user(request), incident_id)
    return [_update_out(u) for u in incident.updates.all()[:500]]


@router.post(
    "/monitoring/incidents/{incident_id}/updates",
    response={201: UpdateOut, **ERRORS},
    summary="Post an update (public: status page and subscribers; resolved: resolves it)",
    operation_id="opora_api_incident_updates_create",
)
def create_update(request: HttpRequest, incident_id: int, payload: UpdateIn) -> Status[Any]:
    user = current_user(request)
    incident = access_incident(user, incident_id)
    update = updates.post_update(
        incident, by=user, status_=payload.status, body=payload.body, public=payload.public
    )
    return Status(201, _update_out(update))


@router.patch(
    "/monitoring/incidents/{incident_id}",
    response={200: IncidentOut, **ERRORS},
    summary="Change an incident's status-page title and keywords",
    operation_id="opora_api_incident_update",
)
def patch_incident(request: HttpRequest, incident_id: int, payload: IncidentPatch) -> Any:
    user = current_user(request)
    incident = access_incident(user, incident_id)
    updates.change_incident(
        incident,
        by=user,
        public_title=payload.public_title
        if payload.public_title is not None
        else incident.public_title,
        keywords=payload.keywords if payload.keywords is not None else incident.keywords,
    )
    return incident_out(incident)


@router.post(
    "/monitoring/incidents/{incident_id}/resolve",
    response={200: IncidentOut, **ERRORS},
    summary="Resolve an incident by hand; its linked customers are told",
    operation_id="opora_api_incident_resolve",
)
def resolve(request: HttpRequest, incident_id: int, payload: ResolveIn) -> Any:
    user = current_user(request)
    incident = access_incident(user, incident_id)
    return incident_out(updates.resolve_by_hand(incident, by=user, note=payload.note))


@router.get(
    "/monitoring/incidents/{incident_id}/suggestions",
    response={200: list[TicketRef], **ERRORS},
    summary="Open customer tickets that look like the incident (keywords, time window)",
    operation_id="opora_api_incident_suggestions",
)
def suggested_tickets(request: HttpRequest, incident_id: int) -> list[dict[str, Any]]:
    user = current_user(request)
    incident = access_incident(user, incident_id)
    return [_ticket_ref(t) for t in linking.suggestions(user, incident)]


@router.get(
    "/monitoring/incidents/{incident_id}/tickets",
    response={200: list[TicketRef], **ERRORS},
    summary="Customer tickets linked to the incident's problem ticket",
    operation_id="opora_api_incident_tickets",
)
def incident_tickets(request: HttpRequest, incident_id: int) -> list[dict[str, Any]]:
    incident = access_incident(current_user(request), incident_id)
    return [_ticket_ref(t) for t in linking.linked_tickets(incident)[:500]]


@router.post(
    "/monitoring/incidents/{incident_id}/tickets",
    response={200: CountOut, **ERRORS},
    summary="Link customer tickets to the incident in bulk (all or none)",
    operation_id="opora_api_incident_link",
)
def link(request: HttpRequest, incident_id: int, payload: LinkIn) -> dict[str, int]:
    user = current_user(request)
    incident = access_incident(user, incident_id)
    return {"count": len(linking.link_tickets(incident, payload.tickets, by=user))}


@router.post(
    "/monitoring/incidents/{incident_id}/answer",
    response={200: CountOut, **ERRORS},
    summary="One answer to every open linked ticket, in each ticket's language",
    operation_id="opora_api_incident_answer",
)
def answer(request: HttpRequest, incident_id: int, payload: AnswerIn) -> dict[str, int]:
    user = current_user(request)
    incident = access_incident(user, incident_id)
    bodies = {"en": payload.body_en, "ru": payload.body_ru}
    return {"count": linking.answer_all(incident, by=user, bodies=bodies)}


@router.post(
    "/status/subscribers",
    auth=None,
    response={202: PushOut, **ERRORS},
    summary="Subscribe an address to the status page's incident updates (double opt-in)",
    description="Mails a confirmation link; updates start once it is opened.",
    operation_id="opora_api_status_subscribe",
)
def subscribe(request: HttpRequest, payload: SubscribeIn) -> Status[dict[str, bool]]:
    if not hit(
        "status-subscribe",
        client_address(request.META),
        limit=settings.STATUS_SUBSCRIBE_RATE_LIMIT_PER_MINUTE,
    ):
        raise RateLimited(errors.RATE_LIMITED, _("Too many attempts. Try again in a minute."))
    subscribers.subscribe(payload.email, payload.language)
    return Status(202, {"ok": True})
