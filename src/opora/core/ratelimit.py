"""A fixed-window rate limiter on the shared cache (local memory embedded, Redis at scale)."""

from __future__ import annotations

import hashlib
import time

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


def client_address(meta: dict[str, object]) -> str:
    return str(meta.get("REMOTE_ADDR") or "unknown")
