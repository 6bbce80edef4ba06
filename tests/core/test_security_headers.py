"""Every page carries a strict Content-Security-Policy (scripts from this site or with
the request's nonce, images from this site only), Permissions-Policy and the rest."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import User
from tests.conftest import PASSWORD


def _policy(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "/signin"),
        (None, "/help/"),
        ("dana", "/portal/"),
        ("dana", "/portal/new"),
        ("alice", "/agent/"),
        ("lena", "/reports/"),
        (None, "/api/v1/openapi.json"),
        (None, "/healthz"),
        (None, "/no-such-page"),
    ],
)
def test_every_kind_of_page_has_the_policy(
    db: None, who: str | None, url: str, request: pytest.FixtureRequest
) -> None:
    client = Client()
    if who is not None:
        user: User = request.getfixturevalue(who)
        assert client.login(username=user.email, password=PASSWORD)
    response = client.get(url)
    policy = _policy(response)
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{16,}'", policy["script-src"])
    assert policy["img-src"] == "'self' data: blob:"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_inline_scripts_carry_the_nonce_of_their_answer(db: None, dana: User) -> None:
    client = Client()
    client.force_login(dana)
    response = client.get("/help/ask/")
    assert response.status_code == 200
    body = response.content.decode()
    nonce = _policy(response)["script-src"].split("'nonce-")[1].rstrip("'")
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", body)
    assert inline, "the page has an inline script"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)


def test_each_answer_has_its_own_nonce(db: None) -> None:
    client = Client()
    first = _policy(client.get("/signin"))["script-src"]
    second = _policy(client.get("/signin"))["script-src"]
    assert first != second


def test_hsts_only_behind_tls(db: None, settings: Any) -> None:
    settings.SECURE_COOKIES = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert "Strict-Transport-Security" in Client().get("/signin", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in Client().get("/signin")
