"""Guessing passwords is slowed down however it is spread: across accounts from one
client, across clients for one account, across everything; and a client cannot pick its
own address with a header unless the proxy in front is trusted by configuration."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import ApiToken, User
from opora.core.ratelimit import client_address
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"


def _try(client: Client, email: str, password: str = "wrong", **meta: Any) -> int:  # noqa: S107
    response = client.post(
        TOKEN_URL, {"email": email, "password": password}, content_type="application/json", **meta
    )
    return response.status_code


def test_spraying_many_accounts_from_one_client_is_refused(db: None, alice: User) -> None:
    client = Client()
    answers = [_try(client, f"user{i}@desk.test") for i in range(60)]
    assert answers[0] == 401
    assert 429 in answers
    # Once refused, even the right password waits: the client is throttled, not the e-mail.
    assert _try(client, alice.email, PASSWORD) == 429
    assert not ApiToken.objects.exists()


def test_one_account_guessed_from_many_clients_is_refused(db: None, alice: User) -> None:
    client = Client()
    answers = [
        _try(client, alice.email, REMOTE_ADDR=f"10.0.{i // 250}.{i % 250}") for i in range(60)
    ]
    assert answers[0] == 401
    assert answers[-1] == 429


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(db: None) -> None:
    client = Client()
    answers = [
        _try(client, f"user{i}@desk.test", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        for i in range(60)
    ]
    assert 429 in answers  # a new header per try did not make a new client


def test_a_trusted_proxy_names_the_client(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.1.1.1"]
    meta = {"REMOTE_ADDR": "10.1.1.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    # The client may prepend anything; the last hop the proxy added is the client.
    assert client_address(meta) == "203.0.113.9"
    assert client_address({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}) == (
        "192.0.2.1"
    )
    settings.TRUSTED_PROXIES = []
    assert client_address(meta) == "10.1.1.1"


def test_failures_across_the_desk_pause_every_sign_in(db: None, alice: User, settings: Any) -> None:
    settings.AUTH_GLOBAL_FAILURES_PER_MINUTE = 5
    client = Client()
    for i in range(6):
        assert _try(client, f"user{i}@desk.test", REMOTE_ADDR=f"10.9.0.{i}") == 401
    assert _try(client, alice.email, PASSWORD, REMOTE_ADDR="10.9.1.1") == 429


@pytest.mark.parametrize("first", ["api", "portal"])
def test_the_portal_and_the_api_share_one_budget(db: None, alice: User, first: str) -> None:
    client = Client()
    for i in range(15):
        if first == "api":
            _try(client, alice.email)
        else:
            client.post("/signin", {"email": alice.email, "password": f"wrong{i}"})
    if first == "api":
        response = client.post("/signin", {"email": alice.email, "password": "wrong"})
        assert response.status_code == 429
    else:
        assert _try(client, alice.email) == 429
