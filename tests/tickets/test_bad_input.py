"""Bad input answers 4xx with a JSON body naming the field and the reason, and writes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opora.tickets.models import Message
from tests.writes import nothing_written


def _error(response, status: int, field: str | None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"]
    assert body["errors"][0]["field"] == field, body
    assert body["errors"][0]["message"]
    return body


def test_broken_json(api, dana):
    client = api(dana).client
    with nothing_written():
        response = client.post(
            "/api/v1/tickets", '{"subject": "x", "body":', content_type="application/json"
        )
    _error(response, 400, None)
    assert "JSON" in response.json()["detail"]


def test_json_that_is_not_an_object(api, dana):
    client = api(dana).client
    with nothing_written():
        response = client.post("/api/v1/tickets", "[1, 2]", content_type="application/json")
    _error(response, 400, None)


def test_broken_json_on_update(api, alice, make_ticket, dana):
    ticket = make_ticket(dana)
    client = api(alice).client
    with nothing_written(ticket):
        response = client.patch(
            f"/api/v1/tickets/{ticket.number}", "{oops", content_type="application/json"
        )
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "no subject"}, "subject"),
        ({"subject": "   ", "body": "blank subject"}, "subject"),
        ({"subject": "x" * 300, "body": "long"}, "subject"),
        ({"subject": "no body"}, "body"),
        ({"subject": "x", "body": "  \n "}, "body"),
        ({"subject": "x", "body": "y", "priority": "extreme"}, "priority"),
        ({"subject": "x", "body": "y", "type": "rant"}, "type"),
        ({"subject": "x", "body": "y", "colour": "red"}, "colour"),
        ({"subject": 5, "body": "y"}, "subject"),
    ],
)
def test_invalid_ticket_fields(api, dana, payload, field):
    client = api(dana)
    with nothing_written():
        response = client.post("/tickets", payload)
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]


def test_unknown_status_and_team_on_update(api, alice, make_ticket, dana):
    ticket = make_ticket(dana)
    client = api(alice)
    with nothing_written(ticket):
        _error(client.patch(f"/tickets/{ticket.number}", {"status": "archived"}), 422, "status")
        _error(client.patch(f"/tickets/{ticket.number}", {"team": 98765}), 422, "team")
        _error(client.patch(f"/tickets/{ticket.number}", {"line": 4}), 422, "line")


def test_unknown_requester_id(api, alice):
    client = api(alice)
    with nothing_written():
        _error(
            client.post("/tickets", {"subject": "x", "body": "y", "requester": 4242}),
            422,
            "requester",
        )
        _error(
            client.post("/tickets", {"subject": "x", "body": "y", "requester": "not an address"}),
            422,
            "requester",
        )


def test_a_refused_ticket_for_a_new_requester_makes_no_account(api, alice):
    desk = api(alice)
    with nothing_written():
        response = desk.post(
            "/tickets", {"subject": " ", "body": "y", "requester": "new.person@acme.test"}
        )
    _error(response, 422, "subject")


def test_oversized_attachment_is_refused_and_nothing_is_written(api, dana, settings):
    # given a limit of 1 MB and a 1 MB + 1 byte file
    settings.MAX_ATTACHMENT_MB = 1
    big = SimpleUploadedFile("dump.bin", b"\0" * (1024 * 1024 + 1))
    client = api(dana)
    # when it is sent with a new ticket: then there is no ticket and no file
    with nothing_written():
        response = client.upload("/tickets", {"subject": "x", "body": "y", "attachments": [big]})
    # and the answer names the field and the limit
    body = _error(response, 413, "attachments")
    assert body["code"] == "attachment_too_large"
    assert "1 MB" in body["detail"]


def test_forbidden_file_types_are_refused(api, dana, make_ticket):
    ticket = make_ticket(dana)
    client = api(dana)
    for name in ("setup.exe", "run.BAT", "macro.js", "C:\\fakepath\\evil.ps1"):
        upload = SimpleUploadedFile(name, b"MZ...")
        with nothing_written(ticket):
            response = client.upload(
                f"/tickets/{ticket.number}/messages", {"body": "see file", "attachments": [upload]}
            )
        body = _error(response, 422, "attachments")
        assert body["code"] == "attachment_type_blocked"


def test_a_failing_attachment_among_good_ones_writes_nothing(api, dana, make_ticket):
    ticket = make_ticket(dana)
    good = SimpleUploadedFile("notes.txt", b"fine")
    bad = SimpleUploadedFile("virus.exe", b"MZ")
    client = api(dana)
    with nothing_written(ticket):
        response = client.upload(
            f"/tickets/{ticket.number}/messages", {"body": "two files", "attachments": [good, bad]}
        )
    assert response.status_code == 422


def test_filenames_are_cleaned(api, dana, make_ticket):
    ticket = make_ticket(dana)
    upload = SimpleUploadedFile("../../etc/passwd<>.txt", b"x")
    response = api(dana).upload(
        f"/tickets/{ticket.number}/messages", {"body": "file", "attachments": [upload]}
    )
    assert response.status_code == 201
    assert response.json()["attachments"][0]["filename"] == "passwd.txt"


def test_unknown_ticket_number(api, alice):
    client = api(alice)
    _error(client.get("/tickets/31337"), 404, None)
    with nothing_written():
        _error(client.patch("/tickets/31337", {"priority": "low"}), 404, None)


def test_non_numeric_ticket_number(api, alice):
    response = api(alice).get("/tickets/abc")
    assert response.status_code in (404, 422)
    assert response.json()["detail"]


def test_odd_encodings_in_text_are_kept(api, dana):
    text = "Привет, 你好, emoji 🎉, RTL שלום, zero\u200bwidth"
    response = api(dana).post("/tickets", {"subject": text[:40], "body": text})
    assert response.status_code == 201
    number = response.json()["number"]
    assert Message.objects.get(ticket__number=number).body == text
