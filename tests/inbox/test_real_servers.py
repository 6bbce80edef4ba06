"""The e-mail channel against real servers: Dovecot over IMAP, swaks into `opora smtpd`,
and Opora's outbound mail received by a real SMTP server."""

from __future__ import annotations

import email
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from opora.core.tasks import run_queued_tasks
from opora.inbox.email.fetch import fetch_mailbox
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.models import Delivery
from opora.tickets import actions
from opora.tickets.models import Event, Ticket
from tests.inbox.conftest import build_mail
from tests.inbox.servers import Dovecot, run_dovecot, swaks

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
OPORA = str(Path(sys.executable).with_name("opora"))


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with run_dovecot() as server:
        yield server


@pytest.fixture
def imap_mailbox(dovecot: Dovecot, support, monkeypatch) -> Mailbox:
    monkeypatch.setenv("OPORA_TEST_IMAP_PASSWORD", dovecot.password)
    return Mailbox.objects.create(
        address="support@desk.test",
        team=support,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_tls=False,
        imap_user=dovecot.user,
        password_env="OPORA_TEST_IMAP_PASSWORD",
    )


@pytest.mark.django_db
def test_mail_appended_over_imap_becomes_tickets_once(dovecot, imap_mailbox, dana):
    # given three messages in the IMAP inbox
    dovecot.append(*(build_mail(subject=f"Question {i}") for i in range(3)))
    # when Opora fetches the mailbox
    new, dup = fetch_mailbox(imap_mailbox)
    # then each became a ticket and is marked fetched on the server
    assert (new, dup) == (3, 0)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Question 0",
        "Question 1",
        "Question 2",
    ]
    assert dovecot.unfetched() == []
    # and a second run fetches nothing new
    assert fetch_mailbox(imap_mailbox) == (0, 0)
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_a_message_already_stored_is_not_stored_again(dovecot, imap_mailbox, dana):
    # given a message that was stored, but the server never learnt it (crash before flagging)
    raw = build_mail()
    dovecot.append(raw)
    fetch_mailbox(imap_mailbox)
    dovecot.append(raw)  # the same bytes show up again as unflagged
    # when fetched again
    new, dup = fetch_mailbox(imap_mailbox)
    # then it is recognised and flagged, nothing doubles
    assert (new, dup) == (0, 1)
    assert RawMessage.objects.count() == 1 and Ticket.objects.count() == 1
    assert dovecot.unfetched() == []


def _opora(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPORA, *args], env=env, capture_output=True, text=True, timeout=timeout, check=True
    )


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_killing_the_fetch_midway_loses_and_duplicates_nothing(dovecot, tmp_path):
    # given an Opora installation of its own (a separate process with its own database)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPORA_")}
    env.update(
        OPORA_DATA_DIR=str(data),
        OPORA_SECRET_KEY="kill-test",
        OPORA_TEST_IMAP_PASSWORD=dovecot.password,
        DJANGO_SETTINGS_MODULE="opora.settings",
    )
    _opora(env, "migrate", "--noinput", "--verbosity", "0")
    _opora(
        env,
        "shell",
        "-c",
        "from opora.inbox.email.models import Mailbox; Mailbox.objects.create("
        f"address='support@desk.test', imap_host='127.0.0.1', imap_port={dovecot.port}, "
        f"imap_tls=False, imap_user='{dovecot.user}', password_env='OPORA_TEST_IMAP_PASSWORD')",
    )
    total = 150
    dovecot.append(
        *(build_mail(sender=f"c{i}@cust.test", subject=f"Case {i}") for i in range(total))
    )
    db = data / "opora.sqlite3"
    # when a fetch is killed (SIGKILL, no clean-up) while it is working through the mail
    proc = subprocess.Popen([OPORA, "fetchmail"], env=env, stdout=subprocess.DEVNULL)
    stored = 0
    for _ in range(600):  # at most about a minute
        time.sleep(0.1)
        stored = _count(db, "select count(*) from inbox_rawmessage")
        if stored >= 10 or proc.poll() is not None:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert 0 < stored < total, "the fetch was not interrupted midway"
    # and the fetch runs again to the end
    _opora(env, "fetchmail", timeout=300)
    # then every message is stored once and is one ticket, none left on the server
    assert _count(db, "select count(*) from inbox_rawmessage") == total
    assert _count(db, "select count(distinct message_id) from inbox_rawmessage") == total
    assert _count(db, "select count(*) from inbox_rawmessage where state != 'parsed'") == 0
    assert _count(db, "select count(*) from tickets_ticket") == total
    assert dovecot.unfetched() == []
    # and one more run finds nothing new
    out = _opora(env, "fetchmail").stdout
    assert "0 new" in out


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_swaks_delivers_into_smtpd_and_replies_thread_back(smtpd, sink, support, dana, alice):
    Mailbox.objects.create(address="support@desk.test", team=support)
    # given a customer mail delivered by SMTP
    result = swaks(
        smtpd,
        "--from", "dana@acme.test",
        "--to", "support@desk.test",
        "--header", "Subject: Cannot log in",
        "--header", "From: Dana <dana@acme.test>",
        "--body", "My password is not accepted since this morning.",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    run_queued_tasks()
    ticket = Ticket.objects.get()
    assert ticket.requester == dana and ticket.subject == "Cannot log in"
    # when an agent answers it
    actions.add_message(ticket, by=alice, body="Please try resetting it here.")
    run_queued_tasks()
    # then the real SMTP server receives the acknowledgement and the reply, threaded
    replies = [_parse(m) for m in sink.messages if b"resetting it" in m]
    assert len(replies) == 1
    reply = replies[0]
    customer_id = ticket.messages.order_by("id")[0].external_id
    assert reply["In-Reply-To"] == f"<{customer_id}>"
    assert f"<{customer_id}>" in reply["References"]
    assert reply["Message-ID"].strip("<>") in Delivery.objects.values_list("external_id", flat=True)
    assert f"[#{ticket.number}]" in reply["Subject"]
    reply_to = str(reply["Reply-To"])
    assert reply_to.startswith("support+") and reply_to.endswith("@desk.test")
    assert {p.get_content_type() for p in reply.walk()} >= {"text/plain", "text/html"}
    # and the customer's answer to that mail threads back into the same ticket
    result = swaks(
        smtpd,
        "--from", "dana@acme.test",
        "--to", reply_to,
        "--header", f"Subject: Re: {reply['Subject']}",
        "--header", f"In-Reply-To: {reply['Message-ID']}",
        "--header", f"References: {reply['References']} {reply['Message-ID']}",
        "--body", "That worked, thank you!",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    run_queued_tasks()
    assert Ticket.objects.count() == 1
    assert ticket.messages.order_by("-id")[0].body == "That worked, thank you!"


def test_smtpd_refuses_unknown_recipients_at_rcpt(smtpd, support):
    Mailbox.objects.create(address="support@desk.test", team=support)
    result = swaks(smtpd, "--from", "x@outside.test", "--to", "nobody@desk.test")
    assert result.returncode != 0
    assert "550" in result.stdout
    assert not RawMessage.objects.exists()


@pytest.mark.django_db
def test_a_refused_reply_is_reported_on_the_ticket(
    sink, mailbox, dana, alice, django_capture_on_commit_callbacks
):
    from opora.inbox.email.pipeline import receive_and_process

    receive_and_process(build_mail(), mailbox=mailbox)
    ticket = Ticket.objects.get()
    sink.rcpt_answer = "550 5.1.1 No such user"
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="Hello?")
    run_queued_tasks()
    failed = Delivery.objects.get(kind="reply")
    assert failed.state == "failed"
    assert Event.objects.filter(ticket=ticket, kind="delivery_failed").exists()


@pytest.mark.django_db
def test_a_temporary_failure_is_retried_later(
    sink, mailbox, dana, alice, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from opora.inbox.email.pipeline import receive_and_process

    receive_and_process(build_mail(), mailbox=mailbox)
    ticket = Ticket.objects.get()
    sink.rcpt_answer = "451 4.3.0 Try again later"
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="Hello?")
    run_queued_tasks()
    outbound = Delivery.objects.get(kind="reply")
    assert outbound.state == "queued" and outbound.attempts == 1
    assert not Event.objects.filter(ticket=ticket, kind="delivery_failed").exists()
    # (the new ticket's acknowledgement is retried too: its job is queued with it)
    [waiting] = [
        job
        for job in DBTaskResult.objects.filter(status="READY")
        if job.args_kwargs["args"] == [outbound.pk]
    ]
    assert waiting.run_after is not None
    assert sink.messages == []
