"""The public status page and its badge: what customers see, in their language, and
that a crowd of them costs the database nothing once the snapshot is in the cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from opora.accounts.models import User
from opora.monitoring import actions, status
from opora.monitoring.models import Monitor, Period, Rollup
from tests.monitoring.conftest import check
from tests.monitoring.servers import HttpServer


def _page(client: Client | None = None, **headers: Any) -> str:
    answer = (client or Client()).get("/status/", **headers)
    assert answer.status_code == 200
    return answer.content.decode()


def test_public_components_are_grouped_with_their_state_and_90_day_bars(
    site: HttpServer, make_monitor: Callable[..., Monitor], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        shop = make_monitor(
            name="shop-prod-1",
            target=site.url + "/",
            public=True,
            public_name="Online shop",
            public_group="Website",
        )
        make_monitor(name="Internal billing DB", target=site.url + "/db")
        check(shop)
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    Rollup.objects.create(
        monitor=shop, period=Period.DAY, start=today - timedelta(days=3), checks=100, ok=90
    )
    status.rebuild()
    page = _page()
    assert "Online shop" in page and "Website" in page
    assert "shop-prod-1" not in page and "Internal billing DB" not in page
    assert "All systems operational" in page and 'data-state="up"' in page
    assert page.count('<span class="') >= 90  # one bar a day
    assert "90.00%" in page  # the day with failures, in its bar's title


def test_the_page_speaks_russian_by_browser_and_by_switch(
    make_monitor: Callable[..., Monitor], site: HttpServer
) -> None:
    make_monitor(target=site.url + "/", public=True)
    assert "Состояние сервисов" in _page(HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    client = Client()
    answer = client.get("/status/?lang=ru", HTTP_ACCEPT_LANGUAGE="en")
    assert "Состояние сервисов" in answer.content.decode()
    assert answer["Content-Language"] == "ru"
    # The switch sticks in the cookie.
    assert "Состояние сервисов" in _page(client, HTTP_ACCEPT_LANGUAGE="en")
    assert "Service status" in _page(HTTP_ACCEPT_LANGUAGE="en")


def test_a_warm_request_reads_the_cache_and_not_the_database(
    make_monitor: Callable[..., Monitor], site: HttpServer, django_assert_num_queries: Any
) -> None:
    make_monitor(target=site.url + "/", public=True)
    status.rebuild()
    client = Client()
    with django_assert_num_queries(0):
        for language in ("en", "ru"):
            assert client.get("/status/", HTTP_ACCEPT_LANGUAGE=language).status_code == 200
        assert client.get("/status/badge.svg").status_code == 200
    answer = client.get("/status/")
    assert "public" in answer["Cache-Control"] and "max-age" in answer["Cache-Control"]


def test_an_outage_shows_at_once_with_its_incident_and_the_badge_turns_red(
    site: HttpServer, make_monitor: Callable[..., Monitor], django_capture_on_commit_callbacks: Any
) -> None:
    monitor = make_monitor(target=site.url + "/", down_after=1, public=True, public_name="API")
    with django_capture_on_commit_callbacks(execute=True):
        check(monitor)
    assert "All systems operational" in _page()  # warm now
    site.set(status=500)
    with django_capture_on_commit_callbacks(execute=True):
        check(monitor)
    page = _page()
    assert "Some systems are down" in page and 'data-state="down"' in page
    assert "API is unavailable" in page and "Current incidents" in page
    badge = Client().get("/status/badge.svg")
    assert badge["Content-Type"].startswith("image/svg+xml")
    assert b"outage" in badge.content and b"#c62828" in badge.content
    ru = Client().get("/status/badge.svg?lang=ru").content.decode()
    assert "сбой" in ru
    site.set(status=200)
    with django_capture_on_commit_callbacks(execute=True):
        check(monitor)
    page = _page()
    assert "All systems operational" in page and "Past incidents" in page
    assert "API is unavailable" in page


def test_scheduled_maintenance_is_announced(
    ada: User,
    site: HttpServer,
    make_monitor: Callable[..., Monitor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    monitor = make_monitor(target=site.url + "/", public=True, public_name="Shop")
    start = timezone.now() + timedelta(days=1)
    _page()  # warm
    with django_capture_on_commit_callbacks(execute=True):
        actions.create_window(
            by=ada,
            monitor=monitor,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            note="Database upgrade",
        )
    page = _page()
    assert "Scheduled maintenance" in page and "Database upgrade" in page


def test_too_many_requests_from_one_address_wait(settings: Any, db: None) -> None:
    settings.STATUS_RATE_LIMIT_PER_MINUTE = 3
    client = Client()
    codes = [client.get("/status/").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


def test_without_a_shared_cache_another_processs_change_shows_within_half_a_minute(
    site: HttpServer, make_monitor: Callable[..., Monitor]
) -> None:
    # given a warm page in this process, with each process's own memory as the cache
    monitor = make_monitor(target=site.url + "/", down_after=1, public=True, public_name="API")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        status.rebuild()
        assert 'data-state="down"' not in _page()
        # when another process records the outage (no rebuild reaches this one)
        Monitor.objects.filter(pk=monitor.pk).update(state="down")
        assert 'data-state="down"' not in _page()  # still the kept copy
        # then half a minute later the page shows it
        clock.shift(timedelta(seconds=status.LOCAL_TIMEOUT_SECONDS + 1))
        assert 'data-state="down"' in _page()
