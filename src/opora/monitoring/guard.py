"""The SSRF guard: a monitor checks the company's public sites, not the desk's own
network. Every address a check connects to (each redirect hop included) is resolved
and refused when it is private, loopback, link-local (cloud metadata lives at
169.254.169.254), multicast, reserved or unspecified, unless an admin allowed private
ranges (`OPORA_MONITORING_ALLOW_PRIVATE`).

The check connects to the very addresses that were checked (the HTTP client's resolver
is `GuardedResolver`; TLS and TCP connect to the address returned here), so a name that
resolves differently a moment later (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

from django.conf import settings

# Addresses no public site has, beyond what `ipaddress` already calls private.
METADATA = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT, and Alibaba's metadata
    ipaddress.ip_network("fd00:ec2::/32"),  # AWS's IPv6 metadata
)


class Refused(OSError):
    """The target's address is one monitors may not reach."""


def allow_private() -> bool:
    return bool(settings.MONITORING_ALLOW_PRIVATE)


def is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in METADATA):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_address(address: str, *, private_ok: bool | None = None) -> None:
    """Raise Refused for an address a monitor may not reach."""
    allowed = allow_private() if private_ok is None else private_ok
    if is_public(address):
        return
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        raise Refused(f"not an address: {address}") from None
    # Even with private ranges allowed, the metadata services stay out of reach.
    if allowed and not any(ip in net for net in METADATA) and not ip.is_multicast:
        return
    raise Refused(f"the address {address} is not public")


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses that may be reached (Refused when none may)."""
    host = host.strip("[]")
    if is_ip_literal(host):
        check_address(host)
        return [host]
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found = list(dict.fromkeys(str(info[4][0]) for info in infos))
    allowed: list[str] = []
    refusal: Refused | None = None
    for address in found:
        try:
            check_address(address)
        except Refused as exc:
            refusal = exc
        else:
            allowed.append(address)
    if refusal is not None:
        # One private address among public ones is as suspicious as all private.
        raise refusal
    if not allowed:
        raise OSError(f"{host} has no address")
    return allowed


def guarded_resolver() -> Any:
    """An aiohttp resolver that hands the connector only addresses the guard allows."""
    from aiohttp.abc import AbstractResolver

    class GuardedResolver(AbstractResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[Any]:  # aiohttp's ResolveResult dicts
            addresses = await resolve(host, port)
            return [
                {
                    "hostname": host,
                    "host": address,
                    "port": port,
                    "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
                for address in addresses
            ]

        async def close(self) -> None:
            return None

    return GuardedResolver()
