"""Hostile bodies get a clear 4xx at the cost of a normal request and write nothing:
JSON nested beyond the desk's bound (a RecursionError, a 500, before), oversized fields,
floods of tags."""

from __future__ import annotations

import json
from typing import Any

import pytest

from opora.core.jsonin import MAX_DEPTH, BadJson, loads
from opora.tickets.models import Message, Ticket
from tests.writes import nothing_written

DEEP = {
    "brackets": "[" * 100_000 + "]" * 100_000,
    "objects": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "inside a field": '{"subject": "x", "body": "y", "tags": ' + "[" * 50_000 + "]" * 50_000 + "}",
    "one level too deep": '{"subject": "x", "body": "y", "tags": '
    + "[" * MAX_DEPTH
    + "]" * MAX_DEPTH
    + "}",
}


@pytest.mark.parametrize("name", DEEP)
def test_deep_json_is_refused_and_writes_nothing(
    api: Any, alice: Any, dana: Any, make_ticket: Any, name: str
) -> None:
    ticket = make_ticket(dana)
    for caller in (api(alice), api(dana)):
        for url in ("/api/v1/tickets", f"/api/v1/tickets/{ticket.number}/messages"):
            with nothing_written(ticket):
                before = (Ticket.objects.count(), Message.objects.count())
                answer = caller.client.post(url, DEEP[name], content_type="application/json")
                assert answer.status_code == 400, (url, answer.content[:200])
                assert answer.json()["code"] == "bad_request"
                assert (Ticket.objects.count(), Message.objects.count()) == before


def test_ordinary_nesting_is_read(api: Any, alice: Any, dana: Any, support: Any) -> None:
    body = {"subject": "Printer", "body": "x" * 50_000, "requester": dana.email, "tags": ["a"]}
    assert api(alice).post("/tickets", body).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "x" * 2_000_000),
        ("body", "y" * 5_000_000),
        ("tags", [f"t{i}" for i in range(100_000)]),
    ],
)
def test_oversized_fields_are_refused(
    api: Any, alice: Any, dana: Any, field: str, value: Any
) -> None:
    body = {"subject": "Printer", "body": "Offline", "requester": dana.email, field: value}
    before = Ticket.objects.count()
    answer = api(alice).client.post(
        "/api/v1/tickets", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code in (413, 422)
    assert Ticket.objects.count() == before


def test_the_reader_itself() -> None:
    assert loads(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for bad in ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "{", "", "nan", b"\xff"):
        with pytest.raises(BadJson):
            loads(bad)
