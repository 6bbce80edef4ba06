"""/readyz and /metrics answer only this machine, configured networks or a token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.mark.parametrize("url", ["/metrics", "/readyz"])
def test_strangers_are_refused(db: None, url: str) -> None:
    response = Client().get(url, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    assert b"opora_" not in response.content


@pytest.mark.parametrize("url", ["/metrics", "/readyz"])
def test_this_machine_and_configured_networks_are_answered(
    db: None, url: str, settings: Any
) -> None:
    assert Client().get(url, REMOTE_ADDR="127.0.0.1").status_code in (200, 503)
    settings.INTERNAL_NETWORKS = ["10.20.0.0/16"]
    assert Client().get(url, REMOTE_ADDR="10.20.3.4").status_code in (200, 503)
    assert Client().get(url, REMOTE_ADDR="127.0.0.1").status_code == 403


def test_a_bearer_of_the_token_is_answered_from_anywhere(db: None, settings: Any) -> None:
    settings.INTERNAL_TOKEN = "s3cret-scrape-token"
    client = Client()
    ok = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    assert ok.status_code == 200 and b"opora_" in ok.content
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403


def test_a_forwarded_header_does_not_make_a_stranger_local(db: None) -> None:
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403
