"""A self-hosted tool reports a session's start and end, signed with its secret as the
desk's own webhooks are; a forged or stale report is refused with 403 and writes
nothing, a repeated one is recorded once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client

from opora.accounts.models import User
from opora.core import clock
from opora.remote import actions
from opora.remote.models import RemoteSession, RemoteTool
from opora.sla.webhooks import signed_headers
from opora.tickets.models import Event, EventKind, Ticket, TimeEntry
from tests.remote.conftest import SECRET
from tests.writes import nothing_written


def _post(tool: RemoteTool, payload: Any, *, secret: str = SECRET, now: float | None = None) -> Any:
    body = json.dumps(payload).encode()
    headers = signed_headers(secret, body, now=now)
    return Client().post(
        f"/channels/remote/{tool.pk}/events",
        body,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )


def _session(ticket: Ticket, alice: User, tool: RemoteTool, code: str = "424242") -> RemoteSession:
    return actions.invite(ticket, by=alice, tool_id=tool.pk, session_id=code)


def test_the_tool_reports_start_and_end_by_its_session_id(
    alice: User, rustdesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    session = _session(ticket, alice, rustdesk)
    assert _post(rustdesk, {"event": "started", "session_id": "424242"}).json()["outcome"] == (
        "started"
    )
    session.refresh_from_db()
    assert session.started_at is not None
    # The end at the moment the tool names: 42 minutes after the start.
    at = session.started_at + timedelta(minutes=42)
    with clock.use(lambda: at + timedelta(seconds=5)):
        answer = _post(rustdesk, {"event": "ended", "session": session.pk, "at": at.isoformat()})
    assert answer.status_code == 200, answer.content
    session.refresh_from_db()
    assert session.ended_at == at
    assert session.duration_seconds == 42 * 60
    entry = TimeEntry.objects.get(ticket=ticket)
    assert (entry.agent, entry.minutes) == (alice, 42)
    events = Event.objects.filter(
        ticket=ticket, kind__in=[EventKind.REMOTE_STARTED, EventKind.REMOTE_ENDED]
    )
    # Reported by the tool, not by a person.
    assert [(e.kind, e.actor) for e in events] == [
        (EventKind.REMOTE_STARTED, None),
        (EventKind.REMOTE_ENDED, None),
    ]


def test_a_repeated_report_is_recorded_once(
    alice: User, rustdesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    session = _session(ticket, alice, rustdesk)
    _post(rustdesk, {"event": "started", "session": session.pk})
    session.refresh_from_db()
    with nothing_written(ticket, session):
        again = _post(rustdesk, {"event": "started", "session": session.pk})
    assert again.status_code == 200
    assert again.json()["outcome"] == "already"


def test_a_forged_report_gets_403_and_writes_nothing(
    alice: User, rustdesk: RemoteTool, anydesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    session = _session(ticket, alice, rustdesk)
    payload = {"event": "started", "session": session.pk}
    body = json.dumps(payload).encode()
    with nothing_written(ticket, session):
        wrong_secret = _post(rustdesk, payload, secret="not-the-secret-at-all")
        stale = _post(rustdesk, payload, now=time.time() - 3600)
        unsigned = Client().post(
            f"/channels/remote/{rustdesk.pk}/events", body, content_type="application/json"
        )
        # A tool without a secret takes no reports at all, whatever the signature.
        no_secret = _post(anydesk, payload, secret="")
        unknown_tool = Client().post(
            "/channels/remote/999999/events",
            body,
            content_type="application/json",
            headers={k: v for k, v in signed_headers(SECRET, body).items() if k != "Content-Type"},
        )
    for answer in (wrong_secret, stale, unsigned, no_secret, unknown_tool):
        assert answer.status_code == 403, answer.content
        assert answer.json()["code"] == "bad_signature"
    session.refresh_from_db()
    assert session.started_at is None


def test_bad_reports_are_refused_clearly(
    alice: User, rustdesk: RemoteTool, anydesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    session = _session(ticket, alice, rustdesk)
    other = actions.invite(ticket, by=alice, tool_id=anydesk.pk)
    with nothing_written(ticket, session):
        not_json = Client().post(
            f"/channels/remote/{rustdesk.pk}/events",
            b"{oops",
            content_type="application/json",
            headers={
                k: v for k, v in signed_headers(SECRET, b"{oops").items() if k != "Content-Type"
            },
        )
        no_event = _post(rustdesk, {"session": session.pk})
        bad_time = _post(rustdesk, {"event": "started", "session": session.pk, "at": "soon"})
        future = _post(
            rustdesk,
            {
                "event": "started",
                "session": session.pk,
                "at": (clock.now() + timedelta(hours=1)).isoformat(),
            },
        )
        # Another tool's session is not this tool's to report.
        foreign = _post(rustdesk, {"event": "started", "session": other.pk})
        early_end = _post(rustdesk, {"event": "ended", "session": session.pk})
    assert (not_json.status_code, not_json.json()["code"]) == (400, "bad_event")
    assert (no_event.status_code, no_event.json()["code"]) == (400, "bad_event")
    assert (bad_time.status_code, bad_time.json()["code"]) == (400, "invalid_time")
    assert (future.status_code, future.json()["code"]) == (422, "invalid_time")
    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    assert (early_end.status_code, early_end.json()["code"]) == (422, "not_started")
