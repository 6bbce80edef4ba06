"""A closed-loop HTTP load generator: N concurrent clients, each sending the next request
as soon as the previous one answered. Loopback only; bounded in count and time.

The client is a small HTTP/1.1 keep-alive client on asyncio streams, one connection per
concurrent client. It runs on the same 2 cores as the servers it measures, so it must
cost them as little as possible: a general-purpose client (httpx) spent about 1 ms of
CPU per request here, several times what this one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit


class HTTPError(Exception):
    """The connection failed or the answer was not HTTP."""


class Response:
    def __init__(self, url: str, status_code: int, headers: dict[str, str], body: bytes):
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.content = body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Client:
    """One keep-alive connection; requests are sent one after the other."""

    def __init__(self, base: str, headers: dict[str, str], timeout: float = 60):
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.base = base
        self.timeout = timeout
        fixed = {"Host": f"{self.host}:{self.port}", "Connection": "keep-alive", **headers}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> Response:
        return await self.request("GET", path)

    async def post(
        self, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        return await self.request("POST", path, json, headers)

    async def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """`payload`: JSON, or bytes sent as they are; `headers`: this request's own,
        besides the connection's."""
        body = (
            b"" if payload is None else payload if isinstance(payload, bytes) else _dumps(payload)
        )
        head = f"{method} {path} HTTP/1.1\r\n{self._head}"
        head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        if payload is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        data = (head + "\r\n").encode() + body
        try:
            return await asyncio.wait_for(self._exchange(data, path), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.close()
            raise HTTPError(f"{method} {path}: {exc!r}") from exc

    async def _exchange(self, data: bytes, path: str) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(data)
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(self.base + path, status, headers, body)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        chunks = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


Op = Callable[[Client, int], Awaitable[None]]


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
    clients = [Client(base, headers) for _ in range(concurrency)]
    try:
        for i in range(warmup):
            try:
                await op(clients[i % concurrency], -1 - i)
            except (HTTPError, AssertionError):
                break  # measured below; a slow server is a result, not a crash
        deadline = time.monotonic() + max_seconds

        async def worker(client: Client) -> None:
            nonlocal errors
            for i in counter:
                if i >= requests or time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    await op(client, i)
                except (HTTPError, AssertionError):
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            await client.close()
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


def ok(response: Response, status: int = 200) -> Response:
    if response.status_code != status:
        raise AssertionError(f"{response.url}: {response.status_code} {response.text[:300]}")
    return response
