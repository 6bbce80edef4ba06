"""Health endpoints for load balancers and orchestrators.

/healthz: the process answers (liveness). /readyz: it can do useful work (readiness):
the database answers, Redis answers when configured, and at least one job worker has
sent a heartbeat within OPORA_READY_WORKER_SECONDS. Each failing check is named in the
503 answer.

/readyz and /metrics tell the world how the desk is built and how busy it is: they
answer only the networks in OPORA_INTERNAL_NETWORKS (default: this machine) or a client
presenting OPORA_INTERNAL_TOKEN as a bearer token (`internal_only`).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from opora.core.models import WorkerHeartbeat
from opora.core.ratelimit import client_address


def _internal(request: HttpRequest) -> bool:
    token = settings.INTERNAL_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    try:
        address = ipaddress.ip_address(client_address(request.META))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in settings.INTERNAL_NETWORKS)


def internal_only(view: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 403 unless the request comes from an internal network or holds the token."""

    @wraps(view)
    def guarded(request: HttpRequest) -> HttpResponse:
        if not _internal(request):
            return JsonResponse(
                {"code": "forbidden", "message": "Not available from this address."}, status=403
            )
        return view(request)

    return guarded


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
