"""The REST API of monitoring, the alert intake (Alertmanager, the signed webhook),
heartbeat pushes, and the SSRF guard."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.monitoring import guard
from opora.monitoring.intake import signed_headers
from opora.monitoring.models import Incident, Monitor
from opora.tickets.models import Ticket, TicketType
from tests.monitoring.conftest import check
from tests.monitoring.servers import HttpServer
from tests.writes import nothing_written

SECRET = "s3cret-of-the-intake-0123456789"


@pytest.fixture(autouse=True)
def _intake_on(settings: Any) -> None:
    settings.MONITORING_WEBHOOK_SECRET = SECRET


def _alert(status: str, fingerprint: str = "abc123", **labels: str) -> dict[str, Any]:
    return {
        "version": "4",
        "status": status,
        "receiver": "opora",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "HighErrorRate", "instance": "api-1"} | labels,
                "annotations": {"summary": "API error rate above 5%", "description": "5xx"},
                "startsAt": "2026-01-01T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": fingerprint,
            }
        ],
    }


def _post_alertmanager(body: Any, token: str = SECRET) -> Any:
    return Client().post(
        "/api/v1/monitoring/alertmanager",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_an_alertmanager_alert_opens_and_resolves_an_incident(ada: User, support: Team) -> None:
    answer = _post_alertmanager(_alert("firing", opora_team="Support"))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"firing": 1, "resolved": 0}
    incident = Incident.objects.get()
    assert incident.source == "alertmanager"
    assert incident.team == support
    assert incident.ticket is not None and incident.ticket.type == TicketType.PROBLEM
    assert incident.ticket.subject == "API error rate above 5%"
    # Alertmanager repeats a firing alert: the same incident.
    _post_alertmanager(_alert("firing", opora_team="Support"))
    assert Incident.objects.count() == 1 and Ticket.objects.count() == 1

    answer = _post_alertmanager(_alert("resolved"))
    assert answer.json() == {"firing": 0, "resolved": 1}
    incident.refresh_from_db()
    assert incident.resolved_at is not None


def test_a_wrong_token_or_signature_is_refused_and_writes_nothing(ada: User) -> None:
    with nothing_written():
        assert _post_alertmanager(_alert("firing"), token="wrong").status_code == 403
        body = json.dumps({"key": "db", "status": "firing", "title": "DB down"}).encode()
        forged = signed_headers("another-secret", body)
        answer = Client().post(
            "/api/v1/monitoring/webhook",
            body,
            content_type="application/json",
            HTTP_X_OPORA_TIMESTAMP=forged["X-Opora-Timestamp"],
            HTTP_X_OPORA_SIGNATURE=forged["X-Opora-Signature"],
        )
        assert answer.status_code == 403
        assert answer.json()["code"] == "wrong_signature"
        old = signed_headers(SECRET, body, now=1_000_000)
        answer = Client().post(
            "/api/v1/monitoring/webhook",
            body,
            content_type="application/json",
            HTTP_X_OPORA_TIMESTAMP=old["X-Opora-Timestamp"],
            HTTP_X_OPORA_SIGNATURE=old["X-Opora-Signature"],
        )
        assert answer.status_code == 403


def test_the_signed_webhook_opens_and_resolves(ada: User, billing: Team) -> None:
    def post(payload: dict[str, Any]) -> Any:
        body = json.dumps(payload).encode()
        headers = signed_headers(SECRET, body)
        return Client().post(
            "/api/v1/monitoring/webhook",
            body,
            content_type="application/json",
            HTTP_X_OPORA_TIMESTAMP=headers["X-Opora-Timestamp"],
            HTTP_X_OPORA_SIGNATURE=headers["X-Opora-Signature"],
        )

    answer = post({"key": "db", "status": "firing", "title": "DB down", "team": "Billing"})
    assert answer.status_code == 200, answer.content
    incident = Incident.objects.get()
    assert incident.key == "webhook:db" and incident.team == billing
    assert post({"key": "db", "status": "resolved"}).json() == {"firing": 0, "resolved": 1}
    bad = post({"key": "", "status": "firing"})
    assert bad.status_code == 422


def test_the_intake_is_off_without_a_secret(settings: Any, ada: User) -> None:
    settings.MONITORING_WEBHOOK_SECRET = ""
    with nothing_written():
        assert _post_alertmanager(_alert("firing"), token="").status_code == 404


def test_monitors_crud_results_and_uptime_through_the_api(
    api: Callable[[User | None], Any], ada: User, support: Team, site: HttpServer
) -> None:
    admin = api(ada)
    created = admin.post(
        "/monitoring/monitors",
        {"name": "Shop", "kind": "http", "target": site.url + "/", "team": support.pk},
    )
    assert created.status_code == 201, created.content
    monitor_id = created.json()["id"]
    check(Monitor.objects.get(pk=monitor_id), 2)
    listed = admin.get("/monitoring/monitors").json()
    assert listed[0]["state"] == "up" and listed[0]["last_code"] == 200
    results = admin.get(f"/monitoring/monitors/{monitor_id}/results").json()
    assert len(results) == 2 and results[0]["ok"] is True
    uptime = admin.get(f"/monitoring/monitors/{monitor_id}/uptime", {"span": "24h"}).json()
    assert uptime["points"][0]["uptime"] == 100.0
    changed = admin.patch(f"/monitoring/monitors/{monitor_id}", {"interval_seconds": 20})
    assert changed.status_code == 200 and changed.json()["interval_seconds"] == 20
    assert admin.get("/monitoring/incidents").json() == []
    assert admin.get("/monitoring/incidents/kpis").json()["count"] == 0
    assert admin.delete(f"/monitoring/monitors/{monitor_id}").status_code == 204


def test_bad_input_gets_errors_beside_the_field_and_writes_nothing(
    api: Callable[[User | None], Any], ada: User
) -> None:
    admin = api(ada)
    cases = [
        ({"name": "A", "kind": "http", "target": "ftp://x.test/"}, "target"),
        (
            {"name": "A", "kind": "http", "target": "https://x.test/", "interval_seconds": 5},
            "interval_seconds",
        ),
        (
            {"name": "A", "kind": "http", "target": "https://x.test/", "timeout_seconds": 90},
            "timeout_seconds",
        ),
        ({"name": "A", "kind": "tcp", "target": "db.example.com"}, "target"),
        (
            {"name": "A", "kind": "http", "target": "https://x.test/", "expected_status": "ok"},
            "expected_status",
        ),
        ({"name": "", "kind": "http", "target": "https://x.test/"}, "name"),
    ]
    with nothing_written():
        for body, field in cases:
            answer = admin.post("/monitoring/monitors", body)
            assert answer.status_code == 422, (body, answer.content)
            assert answer.json()["errors"][0]["field"] == field, body


def test_agents_and_customers_may_not_manage_monitors(
    api: Callable[[User | None], Any], alice: User, dana: User, lena: User, support: Team
) -> None:
    clients = [api(alice), api(dana)]  # signing in writes a token: before the block
    with nothing_written():
        for client in clients:
            answer = client.post(
                "/monitoring/monitors", {"name": "A", "kind": "dns", "target": "example.com"}
            )
            assert answer.status_code == 403
    # A team lead adds monitors for their own team only.
    lead = api(lena)
    assert (
        lead.post(
            "/monitoring/monitors", {"name": "A", "kind": "dns", "target": "example.com"}
        ).status_code
        == 422
    )
    assert (
        lead.post(
            "/monitoring/monitors",
            {"name": "A", "kind": "dns", "target": "example.com", "team": support.pk},
        ).status_code
        == 201
    )


def test_heartbeat_push(api: Callable[[User | None], Any], ada: User) -> None:
    created = (
        api(ada)
        .post(
            "/monitoring/monitors", {"name": "Backup", "kind": "heartbeat", "timeout_seconds": 60}
        )
        .json()
    )
    url = created["push_url"]
    assert url.endswith(Monitor.objects.get().push_token)
    path = url.split("/api/v1", 1)[1]
    assert Client().get("/api/v1" + path).json() == {"ok": True}
    assert Monitor.objects.get().last_push_at is not None
    with nothing_written():
        assert Client().post("/api/v1/monitoring/push/nope").status_code == 404


def test_the_ssrf_guard_refuses_private_and_metadata_addresses(
    settings: Any, api: Callable[[User | None], Any], ada: User, site: HttpServer
) -> None:
    settings.MONITORING_ALLOW_PRIVATE = False
    admin = api(ada)
    with nothing_written():
        for target in (
            "http://127.0.0.1:8000/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "http://[::1]/",
            "http://localhost/",
        ):
            answer = admin.post(
                "/monitoring/monitors", {"name": "X", "kind": "http", "target": target}
            )
            assert answer.status_code == 422, target
            assert answer.json()["code"] == "private_target"
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fc00::1"):
        assert not guard.is_public(address)
    assert guard.is_public("93.184.216.34")
    # Metadata stays refused even with private ranges allowed.
    with pytest.raises(guard.Refused):
        guard.check_address("169.254.169.254", private_ok=True)

    # A monitor saved while private ranges were allowed is refused at check time, on
    # every redirect hop too.
    settings.MONITORING_ALLOW_PRIVATE = True
    direct = Monitor.objects.create(name="direct", kind="http", target=site.url + "/")
    settings.MONITORING_ALLOW_PRIVATE = False
    check(direct)
    assert direct.last_ok is False and "not public" in direct.last_error
    assert site.behaviour.hits == 0


def test_a_redirect_to_a_private_address_is_refused(settings: Any, site: HttpServer) -> None:
    from opora.monitoring import checks

    # A public-looking first hop is not available offline; the guard is the same
    # function on every hop, so a redirect hop to loopback is checked as a first one.
    settings.MONITORING_ALLOW_PRIVATE = False
    site.set(redirect_to="http://169.254.169.254/latest/")
    import asyncio

    async def go() -> Any:
        from opora.monitoring.runner import http_session

        async with http_session(2) as http:
            spec = checks.Spec(id=0, kind="http", target="http://169.254.169.254/", timeout=3)
            return await checks.run(spec, http)

    outcome = asyncio.run(go())
    assert outcome.ok is False and "not public" in outcome.error
