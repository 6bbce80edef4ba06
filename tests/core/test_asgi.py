"""`opora serve` runs `opora.asgi.application`: HTTP through a pool of threads.

These requests go through the very ASGI application uvicorn serves, not Django's
test client, so the thread pool, the request body stream and the response stream
are all exercised.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from opora.accounts.actions import issue_api_token
from opora.accounts.models import User
from opora.asgi import application
from opora.tickets.models import Ticket

Call = tuple[str, str, dict[str, Any]]


def _requests(*calls: Call, together: bool = True) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as web:
            sends = [web.request(method, path, **options) for method, path, options in calls]
            if together:  # the pool answers them side by side
                return list(await asyncio.gather(*sends))
            return [await send for send in sends]

    return asyncio.run(run())


@pytest.mark.django_db(transaction=True)
def test_health_and_static_files_are_answered():
    health, css, missing = _requests(
        ("GET", "/healthz", {}),
        ("GET", "/static/opora/app.css", {}),
        ("GET", "/static/opora/nope.css", {}),
    )
    assert health.status_code == 200
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert b"{" in css.content
    assert missing.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_posted_request_body_reaches_the_api_and_the_answer_comes_back(dana: User):
    _, raw = issue_api_token(dana)
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
    bodies = [
        {"subject": f"Printer {i} is offline", "body": "It says: paper jam. " * 200}
        for i in range(4)
    ]
    creates: list[Call] = [
        ("POST", "/api/v1/tickets", {"content": json.dumps(b), "headers": headers}) for b in bodies
    ]
    answers = _requests(
        *creates,
        ("POST", "/api/v1/tickets", {"content": "{broken", "headers": headers}),
        ("GET", "/api/v1/tickets", {"headers": {"Authorization": "Bearer wrong"}}),
        # One after the other: the test database (SQLite in memory, shared cache) locks
        # whole tables, where the real file database in WAL mode queues writers.
        together=False,
    )
    created, broken, unauthorized = answers[:4], answers[4], answers[5]
    assert [r.status_code for r in created] == [201] * 4
    assert sorted(r.json()["subject"] for r in created) == sorted(b["subject"] for b in bodies)
    stored = Ticket.objects.filter(requester=dana).order_by("subject")
    assert [t.subject for t in stored] == sorted(b["subject"] for b in bodies)
    # The whole 4 KB body arrived, not a first chunk of it.
    assert all(len(t.messages.get().body) == len(bodies[0]["body"].strip()) for t in stored)
    assert broken.status_code in (400, 422)
    assert unauthorized.status_code == 401
