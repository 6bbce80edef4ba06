"""Shared personas and helpers.

The cast: agents Alice (line 1) and Bob (line 2) and team lead Lena work the "Support"
team; Otto is an agent of the "Billing" team only; Ada is the admin. Customers: Dana
(Acme, which shares tickets among its members), her colleague Dave, and Charlie, an
outsider with no organization.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from opora.accounts.actions import create_organization, create_team, create_user, issue_api_token
from opora.accounts.models import Organization, Team, User
from opora.tickets import actions
from opora.tickets.models import Ticket

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashing is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    from opora.search import corpus, synonyms
    from opora.sla import config

    # Rolled-back tests leave no signal behind: nothing kept may outlive its test.
    cache.clear()
    config.forget()
    corpus.changed()
    synonyms.changed()
    yield
    cache.clear()
    config.forget()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the desk's default language: a test that leaves Russian
    active (a request handled in the same thread, an override not undone) changes
    nothing for the next one."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_event_loop_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test outside the browser suite runs as code does in production: with no event
    loop running in its thread. The browser suite's Playwright keeps one running in the
    worker's main thread for the whole session; a later test in the same worker would
    otherwise see `asyncio.run` and `async_to_sync` refused there."""
    borrowed = asyncio._get_running_loop()
    if borrowed is None or request.node.get_closest_marker("e2e") is not None:
        yield
        return
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(borrowed)


@pytest.fixture
def ada(db: None) -> User:
    return create_user(email="ada@desk.test", name="Ada", password=PASSWORD, role="admin", by=None)


@pytest.fixture
def acme(ada: User) -> Organization:
    return create_organization(name="Acme", domains=["acme.test"], shared_tickets=True, by=ada)


@pytest.fixture
def alice(ada: User) -> User:
    return create_user(
        email="alice@desk.test",
        name="Alice",
        password=PASSWORD,
        role="agent",
        support_line=1,
        by=ada,
    )


@pytest.fixture
def bob(ada: User) -> User:
    return create_user(
        email="bob@desk.test", name="Bob", password=PASSWORD, role="agent", support_line=2, by=ada
    )


@pytest.fixture
def lena(ada: User) -> User:
    return create_user(
        email="lena@desk.test",
        name="Lena",
        password=PASSWORD,
        role="agent",
        support_line=3,
        is_team_lead=True,
        by=ada,
    )


@pytest.fixture
def otto(ada: User) -> User:
    return create_user(
        email="otto@desk.test", name="Otto", password=PASSWORD, role="agent", support_line=1, by=ada
    )


@pytest.fixture
def support(ada: User, alice: User, bob: User, lena: User) -> Team:
    return create_team(
        name="Support", email="support@desk.test", members=[alice.pk, bob.pk, lena.pk], by=ada
    )


@pytest.fixture
def billing(ada: User, otto: User) -> Team:
    return create_team(name="Billing", members=[otto.pk], by=ada)


@pytest.fixture
def dana(acme: Organization) -> User:
    return create_user(email="dana@acme.test", name="Dana", password=PASSWORD, by=None)


@pytest.fixture
def dave(acme: Organization) -> User:
    return create_user(email="dave@acme.test", name="Dave", password=PASSWORD, by=None)


@pytest.fixture
def charlie(db: None) -> User:
    return create_user(email="charlie@outside.test", name="Charlie", password=PASSWORD, by=None)


class Api:
    """Talks to /api/v1 as one user, with a real token, through the full HTTP stack."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        if user is not None:
            _, raw = issue_api_token(user)
            self.client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get("/api/v1" + path, params or {})

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            "/api/v1" + path, jsonlib.dumps(body or {}), content_type="application/json"
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            "/api/v1" + path, jsonlib.dumps(body), content_type="application/json"
        )

    def delete(self, path: str) -> Any:
        return self.client.delete("/api/v1" + path)

    def upload(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post("/api/v1" + path, data)  # multipart


@pytest.fixture
def api(db: None) -> Callable[[User | None], Api]:
    return Api


@pytest.fixture
def make_ticket(support: Team) -> Callable[..., Ticket]:
    def make(
        requester: User, *, by: User | None = None, team: Team | None = support, **kw: Any
    ) -> Ticket:
        kw.setdefault("subject", "Printer does not print")
        kw.setdefault("body", "Since this morning nothing comes out of the printer.")
        if by is None or not by.is_agent:
            ticket = actions.create_ticket(requester=requester, by=by or requester, **kw)
            if team is not None:
                admin = User.objects.filter(role="admin").first()
                assert admin is not None
                ticket = actions.update_ticket(
                    ticket, actions.TicketChanges(team=team.pk), by=admin
                )
            return ticket
        return actions.create_ticket(requester=requester, by=by, team=team, **kw)

    return make
