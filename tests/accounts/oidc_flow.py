"""What the single sign-on tests share: the provider (a real one, started once per test
session in its own process), the desk configured for it, and one person's whole trip
through it: the desk's button, the provider's login form, back to the desk.

The desk side runs in Django's test client; the provider side is spoken to over HTTP
with httpx, as a browser would, and the desk itself calls the provider's token and key
endpoints over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from django.test import Client

from opora.accounts.models import SsoGroupMapping, Team, User
from tests.oidc_provider.server import RunningProvider, run_provider


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[RunningProvider]:
    with run_provider() as provider:
        yield provider


@pytest.fixture
def sso(settings: Any, oidc_provider: RunningProvider) -> RunningProvider:
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = oidc_provider.client_id
    settings.OIDC_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_NAME = "Company SSO"
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_SCOPES = "openid email profile groups"
    settings.BASE_URL = "http://testserver"
    return oidc_provider


@pytest.fixture
def mapped(ada: User, support: Team, billing: Team) -> dict[str, SsoGroupMapping]:
    """helpdesk-l2: agents of the 2nd line in Support; helpdesk-billing: Billing;
    helpdesk-admins: admins."""
    l2 = SsoGroupMapping.objects.create(group="helpdesk-l2", role="agent", support_line=2)
    l2.teams.set([support])
    money = SsoGroupMapping.objects.create(group="helpdesk-billing", role="agent")
    money.teams.set([billing])
    admins = SsoGroupMapping.objects.create(group="helpdesk-admins", role="admin")
    return {"l2": l2, "billing": money, "admins": admins}


class ProviderBrowser:
    """The provider's side of a browser: its own cookies, following nothing by itself."""

    def __init__(self, provider: RunningProvider) -> None:
        self.provider = provider
        self.http = httpx.Client(follow_redirects=False, timeout=10)

    def log_in_and_authorize(self, authorize_url: str, username: str) -> str:
        """From the authorization URL to the desk's callback URL the provider answers."""
        answer = self.http.get(authorize_url)
        if answer.status_code == 302 and "/accounts/login/" in answer.headers["location"]:
            login_url = urljoin(authorize_url, answer.headers["location"])
            self.http.get(login_url)
            next_url = parse_qs(urlsplit(login_url).query)["next"][0]
            answer = self.http.post(
                login_url,
                data={
                    "username": username,
                    "password": self.provider.password,
                    "next": next_url,
                    "csrfmiddlewaretoken": self.http.cookies["provider_csrf"],
                },
            )
            assert answer.status_code == 302, answer.text
            answer = self.http.get(urljoin(login_url, answer.headers["location"]))
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def close(self) -> None:
        self.http.close()


def callback_path(callback_url: str, **replace: str) -> str:
    """The desk-relative path of the provider's redirect, with query values replaced."""
    parts = urlsplit(callback_url)
    assert parts.netloc == "testserver", callback_url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(replace)
    return f"{parts.path}?{urlencode(query)}"


def start(client: Client) -> str:
    answer = client.get("/signin/oidc")
    assert answer.status_code == 302, answer.content
    return str(answer["Location"])


def provider_redirect(client: Client, provider: RunningProvider, username: str) -> str:
    """Start at the desk, log in at the provider: the callback URL it sends back."""
    browser = ProviderBrowser(provider)
    try:
        return browser.log_in_and_authorize(start(client), username)
    finally:
        browser.close()


def sign_in(client: Client, provider: RunningProvider, username: str, **replace: str) -> Any:
    """The whole trip; the desk's answer to the callback."""
    return client.get(callback_path(provider_redirect(client, provider, username), **replace))
