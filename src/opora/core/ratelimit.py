"""A fixed-window rate limiter on the shared cache (local memory embedded, Redis at scale)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache


def hit(scope: str, key: str, *, limit: int, window_seconds: int = 60) -> bool:
    """Count one attempt; True while the caller stays within `limit` per window."""
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds + 1):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds + 1)
        return True
    return count <= limit


def client_address(meta: Mapping[str, object]) -> str:
    """The client's address: the connecting one, or, when that is a trusted proxy
    (OPORA_TRUSTED_PROXIES), the nearest address in X-Forwarded-For that is not one."""
    remote = str(meta.get("REMOTE_ADDR") or "unknown")
    trusted = settings.TRUSTED_PROXIES
    if not trusted or remote not in trusted:
        return remote
    hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for hop in reversed(hops):
        if hop and hop not in trusted:
            return hop[:64]
    return remote


def sign_in_allowed(scope: str, address: str, email: str) -> bool:
    """Count one sign-in attempt; False when it must wait. Limited per client address
    and account together, per client address (guessing many accounts from one place),
    per account (guessing one account from many places), and refused for everyone while
    failures over the whole desk exceed their own limit (`sign_in_failed`)."""
    limit = settings.AUTH_RATE_LIMIT_PER_MINUTE
    account = email.strip().lower()
    if _count(f"{scope}-failures", "desk", 60) > settings.AUTH_GLOBAL_FAILURES_PER_MINUTE:
        return False
    checks = (
        hit(scope, f"{address}|{account}", limit=limit),
        hit(f"{scope}-client", address, limit=limit * 3),
        hit(f"{scope}-account", account, limit=limit * 3),
    )
    return all(checks)


def sign_in_failed(scope: str) -> None:
    """Count a failed sign-in towards the desk-wide limit."""
    hit(f"{scope}-failures", "desk", limit=settings.AUTH_GLOBAL_FAILURES_PER_MINUTE)


def _count(scope: str, key: str, window_seconds: int) -> int:
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return int(cache.get(f"rl:{scope}:{digest}:{window}") or 0)
