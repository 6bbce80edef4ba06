from __future__ import annotations

import mailbox as mboxlib
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from opora.inbox.email.models import RawMessage
from opora.tickets.models import Ticket
from tests.inbox.conftest import build_mail

pytestmark = pytest.mark.django_db


def test_ingest_imports_files_directories_and_mbox_once(tmp_path, mailbox, dana):
    # given two .eml files in a directory and an mbox with two more messages
    folder = tmp_path / "mail"
    folder.mkdir()
    for i in range(2):
        (folder / f"{i}.eml").write_bytes(build_mail(subject=f"File {i}"))
    box = mboxlib.mbox(tmp_path / "archive.mbox")
    for i in range(2):
        box.add(build_mail(subject=f"Mbox {i}"))
    box.flush()
    # when they are imported
    out = StringIO()
    call_command(
        "ingest",
        str(folder),
        str(tmp_path / "archive.mbox"),
        mailbox="support@desk.test",
        stdout=out,
    )
    # then each is a ticket of the mailbox's team
    assert "4 new (4 parsed" in out.getvalue()
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "File 0",
        "File 1",
        "Mbox 0",
        "Mbox 1",
    ]
    # and importing again adds nothing
    out = StringIO()
    call_command("ingest", str(folder), str(tmp_path / "archive.mbox"), stdout=out)
    assert "0 new" in out.getvalue() and "4 already stored" in out.getvalue()
    assert Ticket.objects.count() == 4


def test_a_message_over_the_size_limit_opens_a_ticket_with_a_note(settings, deliver, dana):
    settings.EMAIL_MAX_MESSAGE_MB = 1
    raw = build_mail(body="x" * (1024 * 1024 + 10))
    row = deliver(raw)
    ticket = Ticket.objects.get()
    assert row.state == "parsed"
    assert "over the 1 MB limit" in ticket.messages.get().body
    assert "too-large" in ticket.tags.values_list("name", flat=True)
    assert bytes(RawMessage.objects.get().raw) == raw


def test_a_flood_from_one_sender_is_kept_but_opens_no_more_tickets(settings, deliver, dana):
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 2
    rows = [deliver(build_mail(subject=f"Spam {i}")) for i in range(3)]
    assert [r.state for r in rows] == ["parsed", "parsed", "ignored"]
    assert "rate limited" in rows[2].error
    assert Ticket.objects.count() == 2 and RawMessage.objects.count() == 3


def test_a_bounce_of_our_mail_is_recorded_on_its_ticket(deliver, dana, alice):
    from opora.inbox.models import Delivery
    from opora.tickets import actions
    from opora.tickets.models import Event

    deliver(build_mail())
    ticket = Ticket.objects.get()
    actions.add_message(ticket, by=alice, body="Answer")
    sent = Delivery.objects.get(kind="reply")
    bounce = (
        b"From: MAILER-DAEMON@mx.acme.test\r\nTo: support@desk.test\r\nSubject: Undelivered\r\n"
        b"Message-ID: <b1@mx.acme.test>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nMail could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; dana@acme.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        + f"Message-ID: <{sent.external_id}>\r\nSubject: Re: x\r\n".encode()
        + b"--B--\r\n"
    )
    row = deliver(bounce)
    assert row.state == "ignored" and row.ticket == ticket
    assert Event.objects.filter(ticket=ticket, kind="mail_ignored", new="bounce").exists()
    assert Ticket.objects.count() == 1


def test_ingest_shows_its_progress_on_a_terminal_unless_quiet(
    tmp_path, mailbox, dana, capsys, monkeypatch
):
    folder = tmp_path / "mail"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.eml").write_bytes(build_mail(subject=f"File {i}"))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # as when run by a person
    call_command("ingest", str(folder), mailbox="support@desk.test", stdout=StringIO())
    assert "] 3/3" in capsys.readouterr().err
    (folder / "3.eml").write_bytes(build_mail(subject="File 3"))
    call_command("ingest", str(folder), "--quiet", mailbox="support@desk.test", stdout=StringIO())
    assert "/4" not in capsys.readouterr().err


def test_logs_name_senders_only_redacted(settings, deliver, dana, caplog):
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 1
    with caplog.at_level("INFO", logger="opora.inbox.email"):
        for i in range(2):
            deliver(build_mail(subject=f"Spam {i}"))
    assert "rate limited d***@acme.test" in caplog.text
    assert "dana@acme.test" not in caplog.text
