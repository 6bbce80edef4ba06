"""The TLS settings the messengers' HTTP clients verify providers' servers with."""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def context() -> ssl.SSLContext:
    """Made once per process and shared by every client: httpx makes them anew for each
    client it creates (the trusted certificates read and parsed, ~20 ms of CPU), which a
    drain paid for every file it fetched and a deliverer for every run."""
    return httpx.create_ssl_context()
