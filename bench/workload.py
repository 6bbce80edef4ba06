"""A closed-loop HTTP load generator: N concurrent clients, each sending the next request
as soon as the previous one answered. Loopback only; bounded in count and time."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Op = Callable[[httpx.AsyncClient, int], Awaitable[None]]


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


async def _run(
    base: str, op: Op, *, requests: int, concurrency: int, max_seconds: float,
    headers: dict[str, str], warmup: int,
) -> dict[str, Any]:  # fmt: skip
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        for i in range(warmup):
            try:
                await op(client, -1 - i)
            except (httpx.HTTPError, AssertionError):
                break  # measured below; a slow server is a result, not a crash
        deadline = time.monotonic() + max_seconds

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                if i >= requests or time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    await op(client, i)
                except (httpx.HTTPError, AssertionError):
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    ms = [v * 1000 for v in latencies]
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0,
    }


def measure(
    base: str, op: Op, *, requests: int, concurrency: int = 8, max_seconds: float = 60,
    headers: dict[str, str] | None = None, warmup: int = 20,
) -> dict[str, Any]:  # fmt: skip
    return asyncio.run(
        _run(base, op, requests=requests, concurrency=concurrency, max_seconds=max_seconds,
             headers=headers or {}, warmup=warmup)
    )  # fmt: skip


def ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    if response.status_code != status:
        url = response.request.url
        raise AssertionError(f"{url}: {response.status_code} {response.text[:300]}")
    return response
