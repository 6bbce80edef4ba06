"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

No browser is downloaded: `scripts/ensure-debian-packages chromium` installs Debian's
build once, and Playwright launches it by path.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

# The sync Playwright API keeps an event loop running in this thread; Django's ORM
# would then refuse the fixtures' queries as "called from an async context".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
# Assertions wait as long as actions do: on a busy 2-core machine a debounced request
# (a live preview, a search) can take longer than Playwright's default 5 s.
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    subprocess.run([str(ROOT / "scripts" / "ensure-debian-packages"), "chromium"], check=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Session:
    """One person's browser window: its own cookies and language."""

    def __init__(self, browser: Browser, base_url: str, locale: str) -> None:
        self.base_url = base_url
        self.context: BrowserContext = browser.new_context(
            locale=locale,
            viewport={"width": 1440, "height": 900},
            extra_http_headers={"Accept-Language": f"{locale},{locale.split('-')[0]};q=0.9"},
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page: Page = self.context.new_page()

    def go(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.go("/signin")
        form = self.page.locator("form[action='/signin']")
        form.locator("input[name=email]").fill(email)
        form.locator("input[name=password]").fill(password)
        form.locator("button[type=submit]").click()
        self.page.wait_for_load_state()

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def open_session(browser: Browser, live_server: Any) -> Iterator[Any]:
    sessions: list[Session] = []

    def make(locale: str = "en-US") -> Session:
        session = Session(browser, live_server.url, locale)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.context.close()


class _OneRequestAtATime(WSGIServer):
    """The live server without a thread per request.

    On SQLite the test database lives in memory and every thread of the live server
    shares the test's one connection: two requests at once (a page and its polling)
    could each hold half of what the other needs (the connection's lock, the
    interpreter's lock in an SQL function callback) and wait for ever. Taking requests
    one at a time, each on the server's own thread, rules that out."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = _OneRequestAtATime  # type: ignore[attr-defined]
