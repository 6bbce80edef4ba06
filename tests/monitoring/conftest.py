from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from opora.accounts.models import User
from opora.monitoring import actions
from opora.monitoring.models import Monitor
from opora.monitoring.runner import Runner
from tests.monitoring.servers import HttpServer, TcpListener


@pytest.fixture(autouse=True)
def _private_ranges_allowed(settings: Any) -> None:
    """The test servers listen on 127.0.0.1: the SSRF guard must let them through
    (test_guard.py shows the refusal with the setting off)."""
    settings.MONITORING_ALLOW_PRIVATE = True
    settings.MONITORING_FLAP_COOLDOWN_MINUTES = 30


@pytest.fixture
def site() -> Iterator[HttpServer]:
    server = HttpServer()
    yield server
    server.stop()


@pytest.fixture
def listener() -> Iterator[TcpListener]:
    found = TcpListener()
    yield found
    found.stop()


@pytest.fixture
def make_monitor(ada: User) -> Callable[..., Monitor]:
    def make(**values: Any) -> Monitor:
        values.setdefault("name", "Shop")
        values.setdefault("kind", "http")
        values.setdefault("interval_seconds", 30)
        values.setdefault("timeout_seconds", 5)
        return actions.create_monitor(by=ada, values=values)

    return make


def check(monitor: Monitor, times: int = 1) -> list[dict[str, list[int]]]:
    """Run the monitor's check `times` times, as the runner would when it is due."""
    changes = []
    for _ in range(times):
        Monitor.objects.filter(pk=monitor.pk).update(
            next_due_at=timezone.now() - timedelta(seconds=1)
        )
        changes.append(Runner(concurrency=10).run_once())
    monitor.refresh_from_db()
    return changes
