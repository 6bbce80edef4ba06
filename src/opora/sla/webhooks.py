"""HMAC-SHA256 signatures of the development webhook and its status callbacks.

The signature covers "<timestamp>.<raw body>", so a captured request cannot be
replayed later with another timestamp; receivers compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Opora-Signature"
TIMESTAMP_HEADER = "X-Opora-Timestamp"
# Callbacks older (or newer) than this are refused.
MAX_SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify(secret: str, timestamp: str, signature: str, body: bytes, *, now: float) -> bool:
    if not secret or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
