"""Mailboxes in the console and the API: add, change, delete, and "Test connection"
against a real Dovecot (the right password and a wrong one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from opora.core.models import AdminChange
from opora.inbox.email.models import Mailbox
from tests.inbox.servers import Dovecot, free_port, run_dovecot
from tests.writes import nothing_written


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with run_dovecot() as server:
        yield server


def form(**fields) -> dict[str, object]:
    values: dict[str, object] = {
        "address": "help@desk.test",
        "team": "",
        "language": "en",
        "active": "on",
        "imap_host": "",
        "imap_port": 993,
        "imap_user": "",
        "imap_folder": "INBOX",
        "password_env": "",
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def test_an_admin_adds_changes_and_deletes_a_mailbox(ada, support):
    admin = signed_in(ada)
    assert "data-new-mailbox" in admin.get("/admin/channels/mailboxes/").content.decode()
    # add
    answer = admin.post("/admin/channels/mailboxes/new", form(team=support.pk))
    assert answer.status_code == 302
    box = Mailbox.objects.get(address="help@desk.test")
    assert box.team == support and box.active and box.imap_host == ""
    assert "help@desk.test" in admin.get("/admin/channels/mailboxes/").content.decode()
    # change: fetched over IMAP, in Russian, polling off
    answer = admin.post(
        f"/admin/channels/mailboxes/{box.pk}/",
        form(
            team=support.pk,
            language="ru",
            active=None,
            imap_host="imap.desk.test",
            imap_tls="on",
            password_env="HELP_IMAP_PASSWORD",
        ),
    )
    assert answer.status_code == 302
    box.refresh_from_db()
    assert (box.language, box.active, box.imap_host, box.imap_tls) == (
        "ru",
        False,
        "imap.desk.test",
        True,
    )
    # a bad value is shown beside its field, nothing saved
    with nothing_written(box):
        bad = admin.post(
            f"/admin/channels/mailboxes/{box.pk}/",
            form(imap_host="imap.desk.test", password_env="../etc/passwd"),
        )
    assert bad.status_code == 400 and "not a path" in bad.content.decode()
    # delete
    assert admin.post(f"/admin/channels/mailboxes/{box.pk}/delete").status_code == 302
    assert not Mailbox.objects.exists()
    # each change is in the audit log, with the fields before and after
    changes = list(AdminChange.objects.filter(target_type="mailbox").order_by("id"))
    assert [c.action for c in changes] == ["created", "changed", "deleted"]
    assert changes[1].changes["language"] == ["en", "ru"]
    assert changes[1].changes["active"] == [True, False]


def test_agents_are_refused_and_nothing_is_written(alice, ada):
    box = Mailbox.objects.create(address="help@desk.test")
    agent = signed_in(alice)
    with nothing_written(box):
        assert agent.get("/admin/channels/mailboxes/").status_code == 403
        assert agent.post("/admin/channels/mailboxes/new", form()).status_code == 403
        assert agent.post(f"/admin/channels/mailboxes/{box.pk}/delete").status_code == 403
        assert agent.post(f"/admin/channels/mailboxes/{box.pk}/test").status_code == 403


def test_test_connection_logs_in_to_a_real_dovecot(dovecot, ada, monkeypatch):
    monkeypatch.setenv("OPORA_TEST_IMAP_PASSWORD", dovecot.password)
    box = Mailbox.objects.create(
        address="support@desk.test",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_tls=False,
        imap_user=dovecot.user,
        password_env="OPORA_TEST_IMAP_PASSWORD",
    )
    dovecot.append(b"From: a@b.test\r\nSubject: hi\r\n\r\nhello\r\n")
    page = signed_in(ada).post(f"/admin/channels/mailboxes/{box.pk}/test").content.decode()
    assert 'data-check="ok"' in page and "opened INBOX" in page
    # the check reads, it does not fetch: the message is still waiting
    assert dovecot.unfetched() != []


def test_a_wrong_password_is_reported_in_words(dovecot, ada, api, monkeypatch):
    monkeypatch.setenv("OPORA_TEST_IMAP_PASSWORD", "not-the-password")
    box = Mailbox.objects.create(
        address="support@desk.test",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_tls=False,
        imap_user=dovecot.user,
        password_env="OPORA_TEST_IMAP_PASSWORD",
    )
    page = signed_in(ada).post(f"/admin/channels/mailboxes/{box.pk}/test").content.decode()
    assert 'data-check="failed"' in page and "Could not log in as support@desk.test" in page
    assert "not-the-password" not in page
    # the API answers the same
    answer = api(ada).post(f"/mailboxes/{box.pk}/test")
    assert answer.status_code == 200
    result = answer.json()
    assert result["ok"] is False and "log in" in result["message"]
    monkeypatch.setenv("OPORA_TEST_IMAP_PASSWORD", dovecot.password)
    assert api(ada).post(f"/mailboxes/{box.pk}/test").json()["ok"] is True


def test_a_closed_port_and_a_missing_password_are_explained(ada, api, monkeypatch):
    monkeypatch.delenv("NO_SUCH_VARIABLE_HERE", raising=False)
    box = Mailbox.objects.create(
        address="support@desk.test",
        imap_host="127.0.0.1",
        imap_port=free_port(),
        imap_tls=False,
        password_env="NO_SUCH_VARIABLE_HERE",
    )
    missing = api(ada).post(f"/mailboxes/{box.pk}/test").json()
    assert missing["ok"] is False and "NO_SUCH_VARIABLE_HERE" in missing["message"]
    monkeypatch.setenv("NO_SUCH_VARIABLE_HERE", "x")
    closed = api(ada).post(f"/mailboxes/{box.pk}/test").json()
    assert closed["ok"] is False and "refused the connection" in closed["message"]
    with nothing_written(box):
        assert api(None).post(f"/mailboxes/{box.pk}/test").status_code == 401
