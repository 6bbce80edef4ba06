"""Outlook's winmail.dat (TNEF): kept as sent, and the files inside it stored beside it."""

from __future__ import annotations

import struct
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opora.inbox.email.parse import parse_message
from opora.inbox.email.tnef import TnefFile, extract
from opora.tickets.models import Attachment, Ticket
from tests.inbox.tnef_stream import attribute, tnef

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% quarterly report\n%%EOF\n"


def outlook_mail(winmail: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Dana <dana@acme.test>"
    msg["To"] = "support@desk.test"
    msg["Subject"] = "Report attached"
    msg.set_content("Please see the attached report.")
    msg.add_attachment(winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return msg.as_bytes()


def test_the_files_inside_winmail_dat_are_stored_beside_it(deliver, dana):
    # given Outlook's mail whose files travel inside winmail.dat
    winmail = tnef([("Quarterly report.pdf", PDF), ("notes.txt", b"call back on Monday")])
    # when it arrives
    raw = deliver(outlook_mail(winmail))
    # then the ticket has winmail.dat as sent, and each file inside it by its long name
    assert raw.state == "parsed"
    files = {a.filename: a for a in Attachment.objects.filter(message__ticket=raw.ticket)}
    assert set(files) == {"winmail.dat", "Quarterly report.pdf", "notes.txt"}
    assert files["winmail.dat"].file.read() == winmail
    assert files["Quarterly report.pdf"].file.read() == PDF
    assert files["Quarterly report.pdf"].content_type == "application/pdf"
    assert files["notes.txt"].file.read() == b"call back on Monday"


def test_russian_file_names_in_the_windows_code_page():
    files = extract(tnef([("Счёт за март.txt", b"123")], codepage=1251))
    assert [(f.filename, f.content) for f in files] == [("Счёт за март.txt", b"123")]


def test_a_broken_winmail_dat_is_kept_and_the_mail_still_opens_a_ticket(deliver, dana):
    good = tnef([("report.pdf", PDF)])
    broken = {
        "truncated": good[: len(good) - 20],
        "signature only": good[:4],
        "garbage": good[:6] + b"\xff" * 64,
        "length past the end": good[:6] + struct.pack("<BHHI", 2, 0x800F, 6, 2**31) + b"x",
        "attachment data before any attachment": good[:6] + attribute(2, 0x800F, 6, PDF),
    }
    for case, winmail in broken.items():
        mail = outlook_mail(winmail).replace(b"Report attached", case.encode())
        raw = deliver(mail)
        assert raw.state == "parsed", case
        names = list(
            Attachment.objects.filter(message__ticket=raw.ticket).values_list("filename", flat=True)
        )
        assert names == ["winmail.dat"], case
    assert Ticket.objects.count() == len(broken)


def test_counts_that_lie_cannot_stall_the_reader():
    # given MAPI blocks that claim billions of properties or values (tnefparse would
    # loop over each), at message level and on the attachment
    huge_count = struct.pack("<I", 0xFFFFFFFF)
    many_values = struct.pack("<IHHI", 1, 0x1002, 0x3001, 0xFFFFFFFF)  # multi-valued short
    stream = tnef(
        [("report.pdf", PDF)],
        extra=attribute(1, 0x9003, 6, huge_count) + attribute(1, 0x9004, 6, huge_count),
    )
    stream += attribute(2, 0x9002, 6, b"\x00" * 14)
    stream += attribute(2, 0x8010, 1, b"SECOND.TXT\x00")
    stream += attribute(2, 0x800F, 6, b"second")
    stream += attribute(2, 0x9005, 6, many_values)
    # when it is read, it finishes, and the lying blocks are simply not used
    files = extract(stream)
    assert [(f.filename, f.content) for f in files] == [
        ("report.pdf", PDF),
        ("SECOND.TXT", b"second"),
    ]


def test_an_ordinary_dat_file_is_not_taken_for_tnef():
    msg = EmailMessage()
    msg["From"] = "dana@acme.test"
    msg.set_content("data")
    msg.add_attachment(b"1,2,3", maintype="application", subtype="octet-stream", filename="x.dat")
    mail = parse_message(msg.as_bytes())
    assert [a.filename for a in mail.attachments] == ["x.dat"]


SEED = tnef([("report.pdf", PDF), ("Счёт.txt", "итого".encode("cp1251"))], codepage=1251)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(6, len(SEED)),
)
def test_a_damaged_stream_yields_files_or_nothing_and_never_raises(changes, cut):
    # given a real stream with some bytes changed and maybe its end cut off
    damaged = bytearray(SEED[:cut])
    for at, value in changes:
        if at < len(damaged):
            damaged[at] = value
    # then reading it returns files (perhaps fewer) and never raises
    files = extract(bytes(damaged))
    assert all(isinstance(f, TnefFile) and f.filename and f.content for f in files)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_after_the_signature_never_raise(data):
    assert isinstance(extract(struct.pack("<I", 0x223E9F78) + data), list)


def test_short_titles_name_files_without_a_long_name_and_a_one_byte_file_is_kept():
    stream = tnef([("report.pdf", PDF), ("flag.txt", b"1")], long_names=False)
    assert [(f.filename, f.content) for f in extract(stream)] == [
        ("FILE0~1.PDF", PDF),
        ("FILE1~1.TXT", b"1"),
    ]
