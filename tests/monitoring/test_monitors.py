"""Monitors against local servers the tests start: down after N failures, recovery,
maintenance windows, flapping, the certificate expiry warning, TCP, DNS, heartbeats,
and the incident's problem ticket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.monitoring import actions, notices
from opora.monitoring.models import CheckResult, Incident, MaintenanceWindow, Monitor
from opora.tickets.models import Channel, Message, Ticket, TicketType
from tests.monitoring.conftest import check
from tests.monitoring.servers import HttpServer, TcpListener, free_port, self_signed

pytestmark = pytest.mark.integration


def test_a_site_is_down_after_n_failures_and_opens_one_problem_ticket(
    site: HttpServer, make_monitor: Callable[..., Monitor], support: Team, alice: User
) -> None:
    monitor = make_monitor(target=site.url + "/", down_after=3, team=support.pk)
    check(monitor)
    assert monitor.state == "up"
    assert monitor.last_code == 200

    site.set(status=503, body=b"Service Unavailable")
    check(monitor, 2)
    assert monitor.state == "up"  # two failures: not yet
    assert monitor.failures == 2
    assert not Incident.objects.exists()

    changes = check(monitor)
    assert monitor.state == "down"
    assert changes[-1]["down"] == [monitor.pk]
    incident = Incident.objects.get()
    ticket = incident.ticket
    assert ticket is not None
    assert ticket.type == TicketType.PROBLEM
    assert ticket.channel == Channel.MONITORING
    assert ticket.team == support
    assert "Shop is down" in ticket.subject
    first = Message.objects.filter(ticket=ticket).order_by("id").first()
    assert first is not None
    assert "status 503" in first.body  # the check's evidence
    assert incident.evidence["status"] == 503
    assert incident.detected_at - incident.started_at >= timedelta(seconds=59)

    # Still down: the same incident, no second ticket.
    check(monitor, 2)
    assert Incident.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert CheckResult.objects.filter(monitor=monitor).count() == 6


def test_recovery_resolves_the_incident_with_a_note(
    site: HttpServer, make_monitor: Callable[..., Monitor], support: Team
) -> None:
    monitor = make_monitor(target=site.url + "/", down_after=1, up_after=2, team=support.pk)
    site.set(status=500)
    check(monitor)
    incident = Incident.objects.get()
    site.set(status=200)
    check(monitor)
    assert monitor.state == "down"  # one success of two
    changes = check(monitor)
    assert monitor.state == "up"
    assert changes[-1]["up"] == [monitor.pk]
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert incident.ticket is not None
    notes = Message.objects.filter(ticket=incident.ticket, internal=True)
    assert any("is up again" in m.body for m in notes)


def test_a_flapping_monitor_opens_one_incident_not_fifty(
    site: HttpServer, make_monitor: Callable[..., Monitor], support: Team
) -> None:
    monitor = make_monitor(target=site.url + "/", down_after=1, up_after=1, team=support.pk)
    for _ in range(10):
        site.set(status=502)
        check(monitor)
        site.set(status=200)
        check(monitor)
    incident = Incident.objects.get()
    assert incident.downs == 10
    assert Ticket.objects.count() == 1
    notes = Message.objects.filter(ticket=incident.ticket, internal=True)
    assert notes.filter(body__contains="Down again").count() == 9


def test_after_the_cool_down_a_new_outage_is_a_new_incident(
    site: HttpServer, make_monitor: Callable[..., Monitor], settings: object
) -> None:
    monitor = make_monitor(target=site.url + "/", down_after=1)
    site.set(status=500)
    check(monitor)
    site.set(status=200)
    check(monitor)
    Incident.objects.update(resolved_at=timezone.now() - timedelta(hours=2))
    site.set(status=500)
    check(monitor)
    assert Incident.objects.count() == 2
    assert Ticket.objects.count() == 2


def test_a_maintenance_window_suppresses_the_incident_until_it_ends(
    site: HttpServer, make_monitor: Callable[..., Monitor], ada: User
) -> None:
    monitor = make_monitor(target=site.url + "/", down_after=2)
    now = timezone.now()
    window = actions.create_window(
        by=ada,
        monitor=monitor,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    site.set(status=500)
    check(monitor, 3)
    assert monitor.state == "down"  # the checks run and are stored
    assert CheckResult.objects.filter(monitor=monitor, ok=False).count() == 3
    assert not Incident.objects.exists()

    MaintenanceWindow.objects.filter(pk=window.pk).update(ends_at=timezone.now())
    check(monitor)
    assert Incident.objects.count() == 1  # still down once the window is over


def test_keyword_json_value_and_response_time(
    site: HttpServer, make_monitor: Callable[..., Monitor]
) -> None:
    keyword = make_monitor(target=site.url + "/", keyword="operational", down_after=1)
    check(keyword)
    assert keyword.last_ok is True
    site.set(body=b"<html>Maintenance</html>")
    check(keyword)
    assert (keyword.last_ok, keyword.last_error) == (False, "keyword not found")

    site.json({"status": {"db": "ok"}, "items": [{"state": "green"}]})
    by_json = make_monitor(
        target=site.url + "/health", json_path="items.0.state", json_value="green"
    )
    check(by_json)
    assert by_json.last_ok is True
    site.json({"status": {"db": "ok"}, "items": [{"state": "red"}]})
    check(by_json)
    assert (by_json.last_ok, "red" in by_json.last_error) == (False, True)

    site.set(body=b"ok", delay=0.3)
    slow = make_monitor(target=site.url + "/", max_response_ms=100)
    check(slow)
    assert slow.last_ok is False
    assert slow.last_error.startswith("slow")


def test_a_timeout_and_a_closed_port_are_failures(make_monitor: Callable[..., Monitor]) -> None:
    closed = make_monitor(target=f"http://127.0.0.1:{free_port()}/")
    check(closed)
    assert closed.last_ok is False
    assert closed.last_error

    hanging = HttpServer()
    hanging.set(delay=3)
    try:
        slow = make_monitor(target=hanging.url + "/", timeout_seconds=1)
        check(slow)
        assert slow.last_ok is False
        assert slow.last_error == "timed out"
    finally:
        hanging.stop()


def test_redirects_are_followed_up_to_five(
    site: HttpServer, make_monitor: Callable[..., Monitor]
) -> None:
    ok = make_monitor(target=site.url + "/redirect/4")
    check(ok)
    assert ok.last_ok is True
    too_many = make_monitor(target=site.url + "/redirect/6")
    check(too_many)
    assert too_many.last_ok is False
    assert "redirects" in too_many.last_error


def test_the_body_is_read_up_to_the_cap(
    site: HttpServer, make_monitor: Callable[..., Monitor], settings: object
) -> None:
    settings.MONITORING_MAX_BODY_BYTES = 1024  # type: ignore[attr-defined]
    site.set(body=b"x" * 5000 + b"needle")
    monitor = make_monitor(target=site.url + "/", keyword="needle")
    check(monitor)
    assert monitor.last_ok is False  # the keyword lies beyond what is read


def test_a_certificate_close_to_expiry_warns(
    tmp_path: Path, make_monitor: Callable[..., Monitor], support: Team
) -> None:
    soon = HttpServer(tls=self_signed(tmp_path, days=3))
    later = HttpServer(tls=self_signed(tmp_path, days=90))
    try:
        warned = make_monitor(
            kind="tls",
            target=f"127.0.0.1:{soon.port}",
            verify_tls=False,
            cert_warn_days=14,
            down_after=1,
            team=support.pk,
        )
        fine = make_monitor(
            kind="tls", target=f"127.0.0.1:{later.port}", verify_tls=False, cert_warn_days=14
        )
        check(warned)
        check(fine)
        assert fine.last_ok is True
        assert fine.cert_expires_at is not None
        assert warned.last_ok is False
        assert "certificate expires in" in warned.last_error
        incident = Incident.objects.get()
        assert incident.monitor == warned
        assert incident.evidence["days_left"] < 3.1

        # Verified TLS refuses the self-signed certificate: a failure, with the reason.
        strict = make_monitor(kind="tls", target=f"127.0.0.1:{later.port}", verify_tls=True)
        check(strict)
        assert strict.last_ok is False
        assert "certificate" in strict.last_error.lower()

        site = make_monitor(target=later.url + "/", verify_tls=False)
        check(site)
        assert site.last_ok is True
    finally:
        soon.stop()
        later.stop()


def test_tcp_dns_and_heartbeat(
    listener: TcpListener, make_monitor: Callable[..., Monitor], ada: User
) -> None:
    tcp = make_monitor(kind="tcp", target=f"127.0.0.1:{listener.port}")
    check(tcp)
    assert tcp.last_ok is True
    closed = make_monitor(kind="tcp", target=f"127.0.0.1:{free_port()}")
    check(closed)
    assert closed.last_ok is False

    dns = make_monitor(kind="dns", target="localhost", dns_expected="127.0.0.1")
    check(dns)
    assert dns.last_ok is True
    wrong = make_monitor(kind="dns", target="localhost", dns_expected="192.0.2.1")
    check(wrong)
    assert wrong.last_ok is False

    beat = make_monitor(kind="heartbeat", interval_seconds=60, timeout_seconds=30, down_after=1)
    check(beat)
    assert beat.last_ok is False  # no push yet
    assert actions.record_push(beat.push_token) is not None
    check(beat)
    assert (beat.last_ok, beat.last_error) == (True, "")
    Monitor.objects.filter(pk=beat.pk).update(last_push_at=timezone.now() - timedelta(minutes=5))
    check(beat)
    assert beat.last_ok is False
    assert actions.record_push("nonsense") is None


def test_the_team_hears_of_a_new_incident_by_mail(
    site: HttpServer, make_monitor: Callable[..., Monitor], support: Team, alice: User, otto: User
) -> None:
    monitor = make_monitor(target=site.url + "/", down_after=1, team=support.pk)
    site.set(status=500)
    check(monitor)
    incident = Incident.objects.get()
    mail.outbox.clear()
    sent = notices.incident_opened(incident.pk)
    assert sent == 3  # alice, bob, lena
    from opora.inbox.models import Delivery

    bodies = list(Delivery.objects.all())
    assert bodies or mail.outbox  # the desk's mail goes through its outbox
    recipients = {u.email for u in notices.recipients(incident)}
    assert alice.email in recipients and otto.email not in recipients


def test_the_runner_claims_a_monitor_once_and_keeps_its_phase(
    make_monitor: Callable[..., Monitor], site: HttpServer
) -> None:
    from opora.monitoring.runner import claim_due, next_due

    monitor = make_monitor(target=site.url + "/")
    due = timezone.now() - timedelta(seconds=95)
    Monitor.objects.filter(pk=monitor.pk).update(next_due_at=due)
    first = claim_due(lookahead=timedelta(0))
    second = claim_due(lookahead=timedelta(0))
    assert [spec.id for spec, _due in first] == [monitor.pk]
    assert second == []
    monitor.refresh_from_db()
    assert monitor.next_due_at == due + timedelta(seconds=120)  # in phase, after now
    now = timezone.now()
    assert next_due(now, 30, now) == now + timedelta(seconds=30)
