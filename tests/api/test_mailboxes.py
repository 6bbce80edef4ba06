"""/api/v1/mailboxes: administrators manage mailboxes; no password ever goes in or out."""

from __future__ import annotations

import pytest

from opora.inbox.email.models import Mailbox
from opora.inbox.email.noise import own_addresses
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db

IMAP = {
    "address": "help@desk.test",
    "language": "ru",
    "imap_host": "imap.desk.test",
    "imap_port": 143,
    "imap_tls": False,
    "imap_user": "help",
    "imap_folder": "INBOX",
    "imap_done_folder": "Processed",
    "password_env": "HELP_IMAP_PASSWORD",
}


def test_an_admin_creates_reads_changes_and_deletes_a_mailbox(
    api, ada, support, billing, django_capture_on_commit_callbacks
):
    admin = api(ada)
    assert "help@desk.test" not in own_addresses()  # remembered for a while
    # when Ada creates a mailbox for the support team
    with django_capture_on_commit_callbacks(execute=True):
        created = admin.post("/mailboxes", {**IMAP, "team": support.pk})
    # then it is stored as given, with its team, and no password anywhere
    assert created.status_code == 201, created.json()
    box = created.json()
    assert box["address"] == "help@desk.test"
    assert box["team"] == {"id": support.pk, "name": "Support"}
    assert {k: box[k] for k in IMAP} == IMAP
    assert not any("password" in key and key != "password_env" for key in box)
    stored = Mailbox.objects.get(pk=box["id"])
    assert stored.team == support and stored.imap_done_folder == "Processed"
    # and its address counts as one of Opora's own at once (mail from it would loop)
    assert "help@desk.test" in own_addresses()

    # she reads it and the list
    assert admin.get(f"/mailboxes/{box['id']}").json() == box
    assert [m["address"] for m in admin.get("/mailboxes").json()] == ["help@desk.test"]

    # she moves it to another team and turns it off; the rest stays
    changed = admin.patch(f"/mailboxes/{box['id']}", {"team": billing.pk, "active": False})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["team"]["name"] == "Billing" and changed.json()["active"] is False
    assert changed.json()["imap_host"] == "imap.desk.test"
    # null takes the team away
    assert admin.patch(f"/mailboxes/{box['id']}", {"team": None}).json()["team"] is None

    # and deletes it
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.delete(f"/mailboxes/{box['id']}").status_code == 204
    assert not Mailbox.objects.exists()
    assert admin.get(f"/mailboxes/{box['id']}").status_code == 404
    assert "help@desk.test" not in own_addresses()


def test_a_mailbox_without_imap_needs_only_an_address(api, ada):
    response = api(ada).post("/mailboxes", {"address": "Inbound@Desk.test"})
    assert response.status_code == 201, response.json()
    box = response.json()
    assert box["address"] == "inbound@desk.test"
    assert (box["team"], box["language"], box["imap_host"], box["imap_folder"]) == (
        None,
        "en",
        "",
        "INBOX",
    )


@pytest.mark.parametrize("who", ["alice", "lena", "dana", "charlie"])
def test_agents_and_customers_get_403(api, ada, who, request):
    box = Mailbox.objects.create(address="help@desk.test")
    other = api(request.getfixturevalue(who))
    with nothing_written(box):
        answers = [
            other.get("/mailboxes"),
            other.post("/mailboxes", {"address": "mine@desk.test"}),
            other.get(f"/mailboxes/{box.pk}"),
            other.patch(f"/mailboxes/{box.pk}", {"active": False}),
            other.delete(f"/mailboxes/{box.pk}"),
        ]
    assert [a.status_code for a in answers] == [403] * 5
    assert {a.json()["code"] for a in answers} == {"admins_only"}


def test_without_credentials_the_answer_is_401(api, db):
    box = Mailbox.objects.create(address="help@desk.test")
    anonymous = api(None)
    with nothing_written(box):
        answers = [
            anonymous.get("/mailboxes"),
            anonymous.post("/mailboxes", {"address": "mine@desk.test"}),
            anonymous.patch(f"/mailboxes/{box.pk}", {"active": False}),
            anonymous.delete(f"/mailboxes/{box.pk}"),
        ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(401, "unauthorized")] * 4


def test_a_password_is_refused_with_a_clear_message(api, ada):
    admin = api(ada)
    # when Ada tries to hand over the IMAP password itself
    for field in ("password", "imap_password"):
        with nothing_written():
            response = admin.post("/mailboxes", {**IMAP, field: "s3cret"})
        # then nothing is stored and the answer says where passwords go
        assert response.status_code == 422
        body = response.json()
        assert body["errors"][0]["field"] == field
        assert body["errors"][0]["code"] == "password_not_stored"
        assert "never stores mailbox passwords" in body["detail"]
        assert "password_env" in body["detail"]
        assert "s3cret" not in response.content.decode()
    # nor can a password be added later
    box = admin.post("/mailboxes", IMAP).json()
    with nothing_written(Mailbox.objects.get(pk=box["id"])):
        response = admin.patch(f"/mailboxes/{box['id']}", {"password": "s3cret"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"][0]["code"] == "password_not_stored"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"address": "not an address"}, "address", "invalid_email"),
        ({"address": ""}, "address", "invalid_email"),
        ({"address": "x@desk.test", "team": 999999}, "team", "unknown_team"),
        ({"address": "x@desk.test", "language": "de"}, "language", "literal_error"),
        ({"address": "x@desk.test", "imap_port": 70000}, "imap_port", "less_than_equal"),
        ({"address": "x@desk.test", "imap_host": "imap host"}, "imap_host", "invalid_host"),
        (
            {"address": "x@desk.test", "imap_host": "imap.desk.test"},
            "password_env",
            "password_env_required",
        ),
        (
            {"address": "x@desk.test", "password_env": "../../etc/shadow"},
            "password_env",
            "invalid_password_env",
        ),
        ({"address": "x@desk.test", "imap_folder": ""}, "imap_folder", "invalid_folder"),
        ({"address": "x@desk.test", "imap_pasword": "typo"}, "imap_pasword", "extra_forbidden"),
        ({}, "address", "missing"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(api, ada, body, field, code):
    admin = api(ada)
    with nothing_written():
        response = admin.post("/mailboxes", body)
    assert response.status_code == 422, response.json()
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]


def test_a_second_mailbox_with_the_same_address_is_refused(api, ada):
    admin = api(ada)
    first = admin.post("/mailboxes", {"address": "help@desk.test"}).json()
    other = admin.post("/mailboxes", {"address": "other@desk.test"}).json()
    # neither a new one nor a changed one may take an address in use, in any case
    with nothing_written(*Mailbox.objects.all()):
        answers = [
            admin.post("/mailboxes", {"address": "HELP@desk.test"}),
            admin.patch(f"/mailboxes/{other['id']}", {"address": "help@desk.test"}),
        ]
    for response in answers:
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "address",
            "code": "address_taken",
            "message": "Another mailbox has this address.",
        }
    assert admin.get(f"/mailboxes/{other['id']}").json()["address"] == "other@desk.test"
    # while a mailbox keeps its own address when other fields change
    response = admin.patch(f"/mailboxes/{first['id']}", {"address": "help@desk.test"})
    assert response.status_code == 200


def test_a_change_with_a_bad_value_changes_nothing(api, ada, support):
    admin = api(ada)
    box = admin.post("/mailboxes", {**IMAP, "team": support.pk}).json()
    stored = Mailbox.objects.get(pk=box["id"])
    with nothing_written(stored):
        response = admin.patch(f"/mailboxes/{box['id']}", {"active": False, "team": 999999})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "team"
    assert admin.get(f"/mailboxes/{box['id']}").json() == box
    # null is no boolean
    with nothing_written(stored):
        response = admin.patch(f"/mailboxes/{box['id']}", {"imap_tls": None})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "imap_tls"


def test_an_unknown_mailbox_is_404(api, ada):
    admin = api(ada)
    assert admin.get("/mailboxes/424242").status_code == 404
    with nothing_written():
        assert admin.patch("/mailboxes/424242", {"active": False}).status_code == 404
        assert admin.delete("/mailboxes/424242").status_code == 404
