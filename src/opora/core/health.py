"""Health endpoints for load balancers and orchestrators.

/healthz: the process answers (liveness). /readyz: it can do useful work (readiness):
the database answers, Redis answers when configured, and at least one job worker has
sent a heartbeat within OPORA_READY_WORKER_SECONDS. Each failing check is named in the
503 answer.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from opora.core.models import WorkerHeartbeat


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _check_worker() -> str:
    horizon = timezone.now() - timedelta(seconds=settings.READY_WORKER_SECONDS)
    if not WorkerHeartbeat.objects.filter(seen_at__gte=horizon).exists():
        raise RuntimeError(f"no worker heartbeat in the last {settings.READY_WORKER_SECONDS} s")
    return "ok"


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    ready = True
    for name, check in (
        ("database", _check_database),
        ("redis", _check_redis),
        ("worker", _check_worker),
    ):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure means "not ready", reported by name
            checks[name] = f"failed: {exc}"
            ready = False
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
