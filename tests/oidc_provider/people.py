"""The provider's people: their address, whether it is verified, groups, how they
signed in (`amr`), and for some a way the provider's answer goes wrong on purpose."""

from __future__ import annotations

from typing import Any

PASSWORD = "provider-pass-123"

PEOPLE: dict[str, dict[str, Any]] = {
    # A new agent of the help desk, in two mapped groups.
    "anna": {"email": "anna@corp.test", "groups": ["helpdesk-l2", "helpdesk-billing"]},
    # An admin whose provider asked a second factor.
    "igor": {"email": "igor@corp.test", "groups": ["helpdesk-admins"], "amr": ["pwd", "mfa"]},
    # Someone from sales: no mapped group.
    "sam": {"email": "sam@corp.test", "groups": ["sales"]},
    # Opora's existing agent Alice (tests/conftest.py), now at the provider too.
    "alice": {"email": "alice@desk.test", "groups": ["helpdesk-l2"]},
    # Someone whose unverified address is Alice's.
    "eve": {"email": "alice@desk.test", "verified": False, "groups": ["helpdesk-l2"]},
    # An address that is a customer's at the desk (Dana of Acme).
    "dana": {"email": "dana@acme.test", "groups": ["helpdesk-l2"]},
    # The provider signs a token whose nonce is not the one asked for.
    "nina": {"email": "nina@corp.test", "groups": ["helpdesk-l2"], "mischief": "nonce"},
    # The token is for another client.
    "otis": {"email": "otis@corp.test", "groups": ["helpdesk-l2"], "mischief": "audience"},
    # The token expired an hour ago.
    "old": {"email": "old@corp.test", "groups": ["helpdesk-l2"], "mischief": "expired"},
    # The token's claims are changed after signing (made an admin), signature kept.
    "mallory": {"email": "mallory@corp.test", "groups": ["sales"], "mischief": "tamper"},
}

CLIENT_ID = "opora-desk"
CLIENT_SECRET = "opora-desk-secret-0123456789"
