"""The API's usual new tickets and replies as `opora serve` answers them: in the event
loop, their writes grouped into one transaction and one commit (`api/grouped.py`).

What a client sees must not change: the same answer (body, status, headers) and the
same rows, events and jobs as through Django; each ticket of a burst stored once with
its own number; a refused request answered as before and writing nothing, while the
rest of its group is written; the reactions to a new ticket (routing, triage, SLA,
search, notifications) run for tickets opened in a group."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opora.accounts.actions import issue_api_token
from opora.accounts.models import Team, User
from opora.accounts.tokens import revoke_token
from opora.api import grouped
from opora.asgi import application, http_application
from opora.automation.models import RoutingSettings
from opora.sla.models import BusinessCalendar, SlaPolicy
from opora.tickets.models import Event, Message, Ticket
from opora.triage.models import TriageModel
from tests.conftest import Api
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db(transaction=True)

Request = tuple[str, dict[str, Any] | bytes, str]  # path, body, raw token


def _burst(
    requests: list[Request], *, app: Any = application, **headers: str
) -> list[httpx.Response]:
    """Every request sent at once, through the ASGI application uvicorn runs."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as web:
            return list(
                await asyncio.gather(
                    *(
                        web.post(
                            "/api/v1" + path,
                            content=body if isinstance(body, bytes) else json.dumps(body),
                            headers={
                                "Content-Type": "application/json",
                                "Authorization": f"Bearer {token}",
                                **headers,
                            },
                        )
                        for path, body, token in requests
                    )
                )
            )

    answers = asyncio.run(run())
    assert grouped.REACTIONS.wait()  # what reacts to them after commit has run
    return answers


def _token(user: User) -> str:
    return issue_api_token(user)[1]


def _jobs() -> set[Any]:
    return set(DBTaskResult.objects.values_list("id", flat=True))


def _new_jobs(before: set[Any]) -> Counter[str]:
    return Counter(
        path.rsplit(".", 1)[-1]
        for pk, path in DBTaskResult.objects.values_list("id", "task_path")
        if pk not in before
    )


def _shape(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without what differs between two writes (ids, numbers, times)."""
    skip = {"id", "number", "ticket", "created_at", "updated_at"}
    return {k: v for k, v in answer.items() if k not in skip}


def _stored(number: int) -> dict[str, Any]:
    """A ticket as stored, with its messages and events, without ids and times."""
    ticket = Ticket.objects.get(number=number)
    return {
        "ticket": {
            name: getattr(ticket, name)
            for name in (
                "subject",
                "status",
                "priority",
                "type",
                "channel",
                "language",
                "team_id",
                "requester_id",
                "organization_id",
                "assignee_id",
                "custom_fields",
            )
        },
        "due": (ticket.first_response_due_at is None, ticket.resolution_due_at is None),
        "first_response": ticket.first_response_at is None,
        "tags": sorted(t.name for t in ticket.tags.all()),
        "messages": list(
            Message.objects.filter(ticket=ticket)
            .order_by("created_at", "id")
            .values_list("author_id", "internal", "channel", "body", "body_html")
        ),
        # An event's old and new values, but a message's id.
        "events": sorted(
            (e.kind, e.actor_id, e.old, "" if e.kind.endswith("_added") else e.new)
            for e in Event.objects.filter(ticket=ticket)
        ),
    }


def _headers(response: Any) -> dict[str, str]:
    found = {k.lower(): v for k, v in response.headers.items()}
    found.pop("content-security-policy")  # its nonce is new for every answer
    found.pop("content-length")  # ids of other lengths
    return found


@pytest.fixture
def desk(support: Team, ada: User) -> Team:
    """A desk whose new tickets have reactions to see: an SLA policy, routing in the
    Support team, a trained triage model."""
    calendar = BusinessCalendar.objects.create(name="24/7", time_zone="UTC", is_default=True)
    SlaPolicy.objects.create(
        name="Standard",
        position=100,
        calendar=calendar,
        first_response_minutes=240,
        next_response_minutes=120,
        resolution_minutes=960,
    )
    RoutingSettings.objects.create(team=support, strategy="round_robin")
    TriageModel.objects.create(target="team", version=1, pipeline=b"")
    return support


def test_a_new_ticket_is_the_same_through_the_group_as_through_django(
    alice: User, dana: User, desk: Team
) -> None:
    body = {
        "subject": "Invoice prints empty",
        "body": "The PDF prints as empty pages.",
        "requester": dana.pk,
        "team": desk.pk,
        "priority": "high",
        "tags": ["billing", "Printer"],
    }
    jobs = _jobs()
    django = Api(alice).post("/tickets", body)
    django_jobs = _new_jobs(jobs)
    groups = grouped.WRITER.groups
    jobs = _jobs()
    [lean] = _burst([("/tickets", body, _token(alice))])
    assert grouped.WRITER.groups == groups + 1  # answered by the group, not by Django

    assert (lean.status_code, django.status_code) == (201, 201)
    assert _shape(lean.json()) == _shape(django.json())
    assert _headers(lean) == _headers(django)
    assert _stored(lean.json()["number"]) == _stored(django.json()["number"])
    # The same reactions: routing's and triage's jobs, the SLA's due times, the
    # requester's acknowledgement, the same for both.
    assert _new_jobs(jobs) == django_jobs
    assert {"route_ticket_task", "suggest_ticket_task"} <= set(django_jobs)
    assert _stored(lean.json()["number"])["due"] == (False, False)


def test_a_customers_ticket_and_replies_are_the_same_as_through_django(
    alice: User, dana: User, make_ticket: Any
) -> None:
    customer = {"subject": "Login fails", "body": "I cannot sign in since Monday."}
    django = Api(dana).post("/tickets", customer)
    [lean] = _burst([("/tickets", customer, _token(dana))])
    assert _shape(lean.json()) == _shape(django.json())
    assert _stored(lean.json()["number"]) == _stored(django.json()["number"])

    first, second = make_ticket(dana), make_ticket(dana)
    cases: list[tuple[User, dict[str, Any]]] = [
        (alice, {"body": "We are looking into it."}),  # the desk's first answer
        (alice, {"body": "Called the printer vendor.", "internal": True}),
        (dana, {"body": "<b>Thanks</b>", "body_html": "<p><b>Thanks</b></p>"}),
    ]
    for user, reply in cases:
        jobs = _jobs()
        django = Api(user).post(f"/tickets/{first.number}/messages", reply)
        django_jobs = _new_jobs(jobs)
        jobs = _jobs()
        [lean] = _burst([(f"/tickets/{second.number}/messages", reply, _token(user))])
        assert (lean.status_code, django.status_code) == (201, 201)
        assert _shape(lean.json()) == _shape(django.json())
        assert _headers(lean) == _headers(django)
        assert _new_jobs(jobs) == django_jobs
    assert _stored(first.number)["messages"] == _stored(second.number)["messages"]
    assert _stored(first.number)["events"] == _stored(second.number)["events"]
    assert _stored(first.number)["ticket"] == _stored(second.number)["ticket"]


def test_a_burst_of_creates_stores_each_ticket_once_with_its_own_number(
    alice: User, dana: User, desk: Team
) -> None:
    token = _token(alice)
    groups = grouped.WRITER.groups
    requests: list[Request] = [
        ("/tickets", {"subject": f"Burst {n}", "body": "x", "requester": dana.pk}, token)
        for n in range(40)
    ]
    answers = _burst(requests)
    assert [a.status_code for a in answers] == [201] * 40
    numbers = [a.json()["number"] for a in answers]
    assert len(set(numbers)) == 40
    stored = dict(
        Ticket.objects.filter(subject__startswith="Burst ").values_list("number", "subject")
    )
    assert stored == {a.json()["number"]: f"Burst {n}" for n, a in enumerate(answers)}
    assert Message.objects.filter(ticket__subject__startswith="Burst ").count() == 40
    assert grouped.WRITER.groups - groups < 40  # grouped, not one commit each


def test_refused_items_are_answered_as_before_and_write_nothing_while_the_rest_is_written(
    alice: User, dana: User, charlie: User, desk: Team, make_ticket: Any
) -> None:
    agent, customer = _token(alice), _token(charlie)
    revoked_token, revoked = issue_api_token(alice)
    revoke_token(revoked_token, by=alice)
    expired_token, expired = issue_api_token(alice)
    expired_token.expires_at = timezone.now() - timedelta(minutes=1)
    expired_token.save(update_fields=["expires_at"])
    danas = make_ticket(dana)
    good = {"subject": "Fine", "body": "Written.", "requester": dana.pk}
    refused: list[Request] = [
        ("/tickets", {**good, "team": 999_999}, agent),  # unknown team
        ("/tickets", good, "opora_not-a-real-token"),  # bad token
        ("/tickets", good, revoked),  # revoked token
        ("/tickets", good, expired),  # expired token
        (f"/tickets/{danas.number}/messages", {"body": "Not mine"}, customer),
        ("/tickets", b"{not json", agent),  # a body that does not read
        ("/tickets", {**good, "surprise": 1}, agent),  # an unknown field
    ]
    # What a client got before: the same requests through Django, past the group.
    expected = []
    for request in refused:
        with nothing_written(danas):
            [answer] = _burst([request], app=http_application.app)
        expected.append((answer.status_code, answer.json()["code"]))
    assert [status for status, _code in expected] == [422, 403, 403, 401, 404, 400, 422]

    oks: list[Request] = [("/tickets", {**good, "subject": f"Fine {n}"}, agent) for n in range(3)]
    oks.append((f"/tickets/{danas.number}/messages", {"body": "On it."}, agent))
    answers = _burst([*oks[:2], *refused, *oks[2:]])
    assert [a.status_code for a in answers[:2] + answers[-2:]] == [201] * 4
    got = [(a.status_code, a.json()["code"]) for a in answers[2:-2]]
    assert got == expected
    assert Ticket.objects.filter(subject__startswith="Fine").count() == 3
    assert list(danas.messages.order_by("id").values_list("body", flat=True))[1:] == ["On it."]


def test_a_closed_ticket_in_a_group_is_refused_alone(
    alice: User, dana: User, make_ticket: Any
) -> None:
    """A refusal only the write finds (the ticket closed meanwhile) fails the group's
    transaction: each item is then written alone, the refused one answered by Django."""
    token = _token(alice)
    closed, open_ = make_ticket(dana), make_ticket(dana)
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    answers = _burst(
        [
            (f"/tickets/{open_.number}/messages", {"body": "First."}, token),
            (f"/tickets/{closed.number}/messages", {"body": "Too late."}, token),
            (f"/tickets/{open_.number}/messages", {"body": "Second."}, token),
        ]
    )
    assert [a.status_code for a in answers] == [201, 422, 201]
    assert answers[1].json()["code"] == "ticket_closed"
    assert closed.messages.count() == 1
    assert list(open_.messages.order_by("id").values_list("body", flat=True))[1:] == [
        "First.",
        "Second.",
    ]


def _group_statements(posts: list[grouped.Post], monkeypatch: pytest.MonkeyPatch) -> int:
    """The statements `grouped.write` runs for a group (its reactions left out)."""
    monkeypatch.setattr(grouped.REACTIONS, "run", lambda hooks: None)
    with CaptureQueriesContext(connection) as queries:
        answers = grouped.write(posts)
    assert [a.status for a in answers if a is not None] == [201] * len(posts)
    return len(queries.captured_queries)


def test_a_groups_reads_do_not_grow_with_the_group(
    alice: User,
    dana: User,
    dave: User,
    charlie: User,
    desk: Team,
    make_ticket: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Requesters, tickets replied to and deliveries are read once for a group."""
    token = _token(alice)

    def posts(people: list[User]) -> list[grouped.Post]:
        found = []
        for person in people:
            body = {"subject": "Jam", "body": "Paper.", "requester": person.pk, "team": desk.pk}
            found.append(
                grouped.Post("create", token, None, json.dumps(body).encode(), "en", False)
            )
            number = make_ticket(person).number
            reply = json.dumps({"body": "On it."}).encode()
            found.append(grouped.Post("reply", token, number, reply, "en", False))
        return found

    _group_statements(posts([dana]), monkeypatch)  # what is read once per process
    one = _group_statements(posts([dana]), monkeypatch)
    three = _group_statements(posts([dana, dave, charlie]), monkeypatch)
    assert three == one


def test_what_the_group_does_not_take_goes_to_django(
    alice: User, dana: User, make_ticket: Any
) -> None:
    """A cookie, another language, an address as the requester: Django answers."""
    token = _token(alice)
    ticket = make_ticket(dana)
    groups = grouped.WRITER.groups
    [with_cookie] = _burst(
        [(f"/tickets/{ticket.number}/messages", {"body": "Cookie"}, token)], Cookie="a=b"
    )
    assert with_cookie.status_code == 201
    assert grouped.WRITER.groups == groups  # not even read by the group's handler
    [in_russian] = _burst(
        [(f"/tickets/{ticket.number}/messages", {"body": "Ответ"}, token)],
        **{"Accept-Language": "ru"},
    )
    assert (in_russian.status_code, in_russian.headers["Content-Language"]) == (201, "ru")
    assert grouped.WRITER.groups == groups  # the group writes in the desk's language only
    address = {"subject": "For a new one", "body": "x", "requester": "new@cust.test"}
    [by_address] = _burst([("/tickets", address, token)])
    assert by_address.status_code == 201
    assert by_address.json()["requester"]["email"] == "new@cust.test"
    assert Ticket.objects.filter(subject="For a new one").count() == 1


def test_a_clean_stop_lets_the_reactions_of_answered_groups_run(tmp_path):
    """The reactions' thread is a daemon: a process that exits right after answering a
    group still runs them (atexit) instead of losing its routing or triage."""
    import os
    import subprocess
    import sys

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the reactions run in the writer's thread, before the answer")
    marker = tmp_path / "reacted"
    script = (
        "import os, sys, time, pathlib, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'opora.settings')\n"
        "django.setup()\n"
        "from opora.api.grouped import REACTIONS\n"
        "def slow():\n"
        "    time.sleep(0.5)\n"
        "    pathlib.Path(sys.argv[1]).write_text('done')\n"
        "REACTIONS.run([(slow, True)])\n"
    )
    env = os.environ | {"OPORA_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script, str(marker)], env=env, check=True, timeout=60)
    assert marker.read_text() == "done"
