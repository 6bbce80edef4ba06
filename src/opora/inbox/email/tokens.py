"""Per-ticket reply addresses: support+<number>-<mac>@domain, unforgeable without the key."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

_TOKEN = re.compile(r"^(\d{1,18})-([0-9a-f]{10})$")


def _mac(number: int) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"ticket-reply:{number}".encode(), hashlib.sha256).hexdigest()[:10]


def reply_token(number: int) -> str:
    return f"{number}-{_mac(number)}"


def reply_address(mailbox_address: str, number: int) -> str:
    local, _, domain = mailbox_address.partition("@")
    domain = settings.EMAIL_REPLY_DOMAIN or domain
    return f"{local.split('+')[0]}+{reply_token(number)}@{domain}"


def ticket_number_from_address(address: str) -> int | None:
    """The ticket number in a valid reply address, or None."""
    local = address.partition("@")[0]
    if "+" not in local:
        return None
    match = _TOKEN.match(local.split("+", 1)[1].lower())
    if not match:
        return None
    number = int(match.group(1))
    return number if hmac.compare_digest(_mac(number), match.group(2)) else None
