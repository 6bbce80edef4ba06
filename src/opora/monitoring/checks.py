"""The checks themselves, asynchronous: one worker runs hundreds at once.

Each takes a `Spec` (a plain copy of the monitor's settings, so no database access
happens on the event loop) and returns an `Outcome`: ok or not, the time it took, the
HTTP status, and the evidence an incident shows (what was expected, what came).
Nothing here raises: a failure of any kind is a failed outcome with its reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from opora.monitoring import guard

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "Opora-Monitor/1.0"


@dataclass(frozen=True)
class Spec:
    id: int
    kind: str
    target: str
    timeout: float
    expected_status: str = "200-399"
    keyword: str = ""
    json_path: str = ""
    json_value: str = ""
    max_response_ms: int | None = None
    verify_tls: bool = True
    cert_warn_days: int = 14
    dns_expected: str = ""
    last_push_at: datetime | None = None
    interval: int = 60


@dataclass
class Outcome:
    ok: bool
    ms: int | None = None
    code: int | None = None
    error: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    cert_expires_at: datetime | None = None


def status_matches(expected: str, status: int) -> bool:
    """`expected` is a list of codes and ranges: "200-299, 301"."""
    for part in expected.split(","):
        part = part.strip()
        if "-" in part:
            low, _sep, high = part.partition("-")
            digits = low.strip().isdigit() and high.strip().isdigit()
            if digits and int(low) <= status <= int(high):
                return True
        elif part.isdigit() and int(part) == status:
            return True
    return False


def valid_expected_status(expected: str) -> bool:
    parts = [p.strip() for p in expected.split(",") if p.strip()]
    pattern = re.compile(r"^[1-5]\d\d(\s*-\s*[1-5]\d\d)?$")
    return bool(parts) and all(pattern.match(p) for p in parts)


def json_lookup(document: Any, path: str) -> Any:
    """`a.b.0.c` into decoded JSON; KeyError when the path leads nowhere."""
    value = document
    for step in path.split("."):
        if isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        elif isinstance(value, dict) and step in value:
            value = value[step]
        else:
            raise KeyError(path)
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _elapsed(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return text[:280]


async def run(spec: Spec, http: Any = None) -> Outcome:
    """Run one check within its timeout; `http` is the runner's aiohttp session."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(spec.timeout):
            if spec.kind == "http":
                outcome = await check_http(spec, http)
            elif spec.kind == "tls":
                outcome = await check_tls(spec)
            elif spec.kind == "tcp":
                outcome = await check_tcp(spec)
            elif spec.kind == "dns":
                outcome = await check_dns(spec)
            elif spec.kind == "ping":
                outcome = await check_ping(spec)
            else:
                outcome = check_heartbeat(spec)
    except Exception as exc:  # any failure is the check's result, never the runner's
        outcome = Outcome(False, error=_reason(exc), evidence={"error": _reason(exc)})
    if outcome.ms is None and spec.kind not in ("heartbeat",):
        outcome.ms = _elapsed(started)
    return outcome


# --- HTTP(S) -------------------------------------------------------------------------


async def check_http(spec: Spec, http: Any) -> Outcome:
    started = time.monotonic()
    url = spec.target
    hops: list[str] = []
    ssl_arg = bool(spec.verify_tls)
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Outcome(False, error=f"not an http(s) address: {url[:200]}")
        if guard.is_ip_literal(parts.hostname):
            guard.check_address(parts.hostname)
        async with http.get(
            url,
            allow_redirects=False,
            ssl=ssl_arg,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        ) as response:
            if response.status in REDIRECTS and "Location" in response.headers:
                hops.append(f"{response.status} {url}")
                url = urljoin(url, response.headers["Location"])
                continue
            body = await _read_capped(response)
            return _judge_http(spec, response.status, body, _elapsed(started), hops)
    return Outcome(
        False, error=f"more than {MAX_REDIRECTS} redirects", evidence={"redirects": hops}
    )


async def _read_capped(response: Any) -> bytes:
    cap = settings.MONITORING_MAX_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= cap:
            break
    return b"".join(chunks)[:cap]


def _judge_http(spec: Spec, status: int, body: bytes, ms: int, hops: list[str]) -> Outcome:
    evidence: dict[str, Any] = {"status": status, "ms": ms, "url": spec.target}
    if hops:
        evidence["redirects"] = hops
    if not status_matches(spec.expected_status, status):
        evidence["expected_status"] = spec.expected_status
        return Outcome(False, ms, status, f"status {status}", evidence)
    text = body.decode("utf-8", "replace")
    if spec.keyword and spec.keyword not in text:
        evidence |= {"keyword": spec.keyword, "body": text[:300]}
        return Outcome(False, ms, status, "keyword not found", evidence)
    if spec.json_path:
        try:
            found = _as_text(json_lookup(json.loads(text), spec.json_path))
        except (ValueError, KeyError):
            evidence |= {"json_path": spec.json_path, "body": text[:300]}
            return Outcome(False, ms, status, f"no JSON value at {spec.json_path}", evidence)
        if spec.json_value and found != spec.json_value:
            evidence |= {"json_path": spec.json_path, "expected": spec.json_value, "got": found}
            return Outcome(False, ms, status, f"{spec.json_path} is {found[:80]}", evidence)
    if spec.max_response_ms is not None and ms > spec.max_response_ms:
        evidence["max_response_ms"] = spec.max_response_ms
        return Outcome(False, ms, status, f"slow: {ms} ms", evidence)
    return Outcome(True, ms, status, "", evidence)


# --- TLS, TCP, DNS ----------------------------------------------------------------------


def host_port(target: str, default_port: int) -> tuple[str, int]:
    """ "host:port", "[v6]:port" or a bare host."""
    target = target.strip()
    if target.startswith("["):
        host, _sep, rest = target[1:].partition("]")
        port = rest.lstrip(":")
    elif target.count(":") == 1:
        host, _sep, port = target.partition(":")
    else:
        host, port = target, ""
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError("port")
    return host, int(port) if port else default_port


async def check_tls(spec: Spec) -> Outcome:
    from cryptography import x509

    host, port = host_port(spec.target, 443)
    address = (await guard.resolve(host, port))[0]
    context = ssl.create_default_context()
    if not spec.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    started = time.monotonic()
    _reader, writer = await asyncio.open_connection(
        address, port, ssl=context, server_hostname=host
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
    ms = _elapsed(started)
    expires = x509.load_der_x509_certificate(der).not_valid_after_utc
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    evidence = {"expires_at": expires.isoformat(), "days_left": round(days, 1)}
    if days < spec.cert_warn_days:
        error = (
            "certificate expired"
            if days <= 0
            else f"certificate expires in {days:.1f} days (warning at {spec.cert_warn_days})"
        )
        return Outcome(False, ms, None, error, evidence, cert_expires_at=expires)
    return Outcome(True, ms, None, "", evidence, cert_expires_at=expires)


async def check_tcp(spec: Spec) -> Outcome:
    host, port = host_port(spec.target, 0)
    address = (await guard.resolve(host, port))[0]
    started = time.monotonic()
    _reader, writer = await asyncio.open_connection(address, port)
    writer.close()
    return Outcome(True, _elapsed(started), None, "", {"address": f"{address}:{port}"})


async def check_dns(spec: Spec) -> Outcome:
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    infos = await loop.getaddrinfo(spec.target.strip(), None, type=socket.SOCK_STREAM)
    addresses = sorted({str(info[4][0]) for info in infos})
    ms = _elapsed(started)
    evidence: dict[str, Any] = {"addresses": addresses}
    if spec.dns_expected and spec.dns_expected not in addresses:
        evidence["expected"] = spec.dns_expected
        return Outcome(False, ms, None, f"{spec.dns_expected} not among the answers", evidence)
    return Outcome(True, ms, None, "", evidence)


# --- Ping (only where an unprivileged ICMP socket is allowed) -------------------------


def ping_available() -> bool:
    """Whether this machine lets a process ping without privileges
    (net.ipv4.ping_group_range covers its group)."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    except OSError:
        return False
    sock.close()
    return True


async def check_ping(spec: Spec) -> Outcome:
    host = spec.target.strip()
    address = (await guard.resolve(host, 0))[0]
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    sock.setblocking(False)
    try:
        payload = os.urandom(16)
        header = struct.pack("!BBHHH", 8, 0, 0, 0, 1)  # echo request; the kernel sets id
        packet = header[:2] + struct.pack("!H", _checksum(header + payload)) + header[4:]
        started = time.monotonic()
        await loop.sock_sendto(sock, packet + payload, (address, 0))
        while True:
            reply = await loop.sock_recv(sock, 1024)
            if reply[:1] == b"\x00" and reply.endswith(payload):
                return Outcome(True, _elapsed(started), None, "", {"address": address})
    finally:
        sock.close()


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return int(~total & 0xFFFF)


# --- Heartbeat ----------------------------------------------------------------------------


def check_heartbeat(spec: Spec) -> Outcome:
    """A push monitor is up while its pushes keep coming: the last one no older than
    its interval plus its timeout (the grace for a slow cron job)."""
    if spec.last_push_at is None:
        return Outcome(False, None, None, "no push yet", {"last_push_at": None})
    age = (datetime.now(UTC) - spec.last_push_at).total_seconds()
    evidence = {"last_push_at": spec.last_push_at.isoformat(), "seconds_ago": round(age)}
    if age > spec.interval + spec.timeout:
        return Outcome(False, None, None, f"no push for {round(age)} s", evidence)
    return Outcome(True, None, None, "", evidence)
