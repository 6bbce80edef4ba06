"""The console's Monitoring pages through Django's test client: who gets in, errors
beside the fields, and a monitor's page with its charts and incident."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from opora.accounts.models import Team, User
from opora.monitoring import rollups
from opora.monitoring.models import Monitor
from tests.conftest import PASSWORD
from tests.monitoring.conftest import check
from tests.monitoring.servers import HttpServer
from tests.writes import nothing_written


def _client(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_only_admins_and_team_leads_open_the_section(
    ada: User, alice: User, lena: User, support: Team
) -> None:
    assert _client(ada).get("/admin/monitoring/").status_code == 200
    assert _client(lena).get("/admin/monitoring/").status_code == 200
    assert _client(alice).get("/admin/monitoring/").status_code == 403


def test_the_form_shows_errors_beside_the_fields_and_writes_nothing(ada: User) -> None:
    client = _client(ada)
    form = {
        "name": "Shop",
        "kind": "http",
        "target": "ftp://shop.test",
        "interval_seconds": "10",
        "timeout_seconds": "5",
        "down_after": "3",
        "up_after": "1",
        "expected_status": "200-399",
        "cert_warn_days": "14",
        "active": "on",
    }
    with nothing_written():
        page = client.post("/admin/monitoring/new", form)
    assert page.status_code == 400
    assert "http:// or https://" in page.content.decode()


def test_a_monitors_page_has_its_charts_months_and_incident(
    ada: User, site: HttpServer, make_monitor: Callable[..., Monitor], support: Team
) -> None:
    monitor = make_monitor(target=site.url + "/", down_after=1, team=support.pk)
    check(monitor, 2)
    site.set(status=500)
    check(monitor)
    rollups.roll_up()
    client = _client(ada)
    listing = client.get("/admin/monitoring/").content.decode()
    assert "Shop" in listing and "Open incidents" in listing
    for span in ("24h", "7d", "90d"):
        page = client.get(f"/admin/monitoring/{monitor.pk}/", {"span": span})
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-chart="ms"' in html and "<svg" in html
    assert "data-incident-ticket" in html
    assert "Uptime per month" in html
    assert "66.667%" in html  # two of three checks were good


def test_maintenance_window_from_the_page(
    ada: User, make_monitor: Callable[..., Monitor], site: HttpServer
) -> None:
    monitor = make_monitor(target=site.url + "/")
    client = _client(ada)
    answer: Any = client.post(
        f"/admin/monitoring/{monitor.pk}/maintenance",
        {"starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T12:00", "note": "upgrade"},
    )
    assert answer.status_code == 302
    assert monitor.maintenance.count() == 1
    with nothing_written():
        client.post(
            f"/admin/monitoring/{monitor.pk}/maintenance",
            {"starts_at": "2030-01-01T12:00", "ends_at": "2030-01-01T10:00"},
        )
