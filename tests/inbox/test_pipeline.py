from __future__ import annotations

import io
import re

import pytest
from django.core import mail as djmail
from django.core.mail import EmailMultiAlternatives

from opora.core.tasks import run_queued_tasks
from opora.inbox.email.models import RawMessage
from opora.inbox.email.pipeline import receive
from opora.inbox.models import Delivery
from opora.tickets import actions
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Event, Ticket
from tests.inbox.conftest import build_mail

pytestmark = pytest.mark.django_db


def _msgid(raw: bytes) -> str:
    match = re.search(rb"Message-ID: <([^>]+)>", raw)
    assert match is not None
    return match.group(1).decode()


def test_it_opens_a_ticket_for_a_new_mail(
    deliver, dana, support, django_capture_on_commit_callbacks
):
    # given a customer's first mail to the support mailbox
    with django_capture_on_commit_callbacks(execute=True):
        raw = deliver(build_mail())
    # then a ticket is opened for her, routed to the mailbox's team
    ticket = Ticket.objects.get()
    assert raw.state == "parsed" and raw.ticket == ticket
    assert ticket.requester == dana and ticket.organization == dana.organization
    assert ticket.team == support and ticket.channel == "email"
    assert ticket.messages.get().body.startswith("Hello, the printer")
    # and an acknowledgement goes out, tagged with the ticket number
    run_queued_tasks()
    assert len(djmail.outbox) == 1
    assert f"[#{ticket.number}]" in djmail.outbox[0].subject
    assert djmail.outbox[0].to == ["dana@acme.test"]


def test_it_creates_the_requester_with_the_organization_of_the_domain(deliver, acme):
    deliver(build_mail(sender="New Person <new@acme.test>"))
    ticket = Ticket.objects.get()
    assert ticket.requester.email == "new@acme.test"
    assert ticket.requester.organization == acme
    assert ticket.requester.name == "New Person"


def test_a_reply_to_the_acknowledgement_joins_the_ticket(
    deliver, dana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(build_mail())
    run_queued_tasks()
    ack = djmail.outbox[0]
    ack_id = ack.extra_headers["Message-ID"].strip("<>")
    # when Dana answers the acknowledgement (a new subject, only In-Reply-To links it)
    reply = build_mail(
        subject="other words",
        body=(
            "It is out now.\n\nOn Thu, 12 Mar 2026 at 10:00, Support <support@desk.test> "
            "wrote:\n> Your request has been received"
        ),
        headers={"In-Reply-To": f"<{ack_id}>", "References": f"<{ack_id}>"},
    )
    raw = deliver(reply)
    # then it is a message on the same ticket, without the quoted history
    ticket = Ticket.objects.get()
    assert raw.ticket == ticket
    assert [m.body for m in ticket.messages.all()][-1] == "It is out now."


def test_a_reply_to_the_token_address_joins_the_ticket(deliver, dana):
    from opora.inbox.email.tokens import reply_address

    deliver(build_mail())
    ticket = Ticket.objects.get()
    deliver(
        build_mail(to=reply_address("support@desk.test", ticket.number), subject="x", body="More")
    )
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 2


def test_a_forged_token_opens_a_new_ticket(deliver, dana):
    deliver(build_mail())
    ticket = Ticket.objects.get()
    deliver(
        build_mail(to=f"support+{ticket.number}-0000000000@desk.test", subject="x", body="More")
    )
    assert Ticket.objects.count() == 2


def test_the_subject_tag_threads_only_for_people_on_the_ticket(deliver, dana, charlie):
    deliver(build_mail())
    ticket = Ticket.objects.get()
    # when the requester writes with the tag
    deliver(build_mail(subject=f"Re: [#{ticket.number}] fire", body="Still burning"))
    # and an outsider uses the same tag
    deliver(build_mail(sender="charlie@outside.test", subject=f"[#{ticket.number}]", body="hi"))
    # then only the requester's mail joins the ticket
    assert ticket.messages.count() == 2
    assert Ticket.objects.count() == 2


def test_the_same_message_delivered_twice_is_one_ticket(deliver, dana):
    raw = build_mail()
    first = deliver(raw)
    second = deliver(raw)
    assert first.pk == second.pk
    assert RawMessage.objects.count() == 1 and Ticket.objects.count() == 1


def test_an_auto_reply_opens_no_ticket_and_is_recorded(deliver, dana, alice):
    deliver(build_mail())
    ticket = Ticket.objects.get()
    actions.add_message(ticket, by=alice, body="We are on it")
    sent = Delivery.objects.filter(kind="reply").get()
    # when Dana's out-of-office answers the agent's reply
    raw = deliver(
        build_mail(
            subject="Automatic reply: Printer",
            body="I am out of office until Monday.",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": f"<{sent.external_id}>"},
        )
    )
    # then no ticket and no answer, only an entry on the ticket's timeline
    assert raw.state == "ignored" and Ticket.objects.count() == 1
    assert ticket.messages.count() == 2
    assert Event.objects.filter(ticket=ticket, kind="mail_ignored", new="auto_reply").exists()


def test_mail_from_our_own_address_is_ignored(deliver, mailbox):
    raw = deliver(build_mail(sender="support@desk.test"))
    assert raw.state == "ignored" and not Ticket.objects.exists()


def test_an_unreadable_message_becomes_a_ticket_flagged_for_review(deliver):
    raw = deliver(b"\x00\xff garbage that is no mail at all \x89PNG")
    ticket = Ticket.objects.get()
    assert raw.state == "failed" and raw.ticket == ticket
    assert "needs-review" in ticket.tags.values_list("name", flat=True)
    attachment = ticket.messages.get().attachments.get()
    assert attachment.filename.endswith(".eml")
    with attachment.file.open("rb") as fh:
        assert fh.read() == b"\x00\xff garbage that is no mail at all \x89PNG"


def test_cc_addresses_become_followers(deliver, dana, dave):
    deliver(build_mail(headers={"Cc": "Dave <dave@acme.test>, support@desk.test"}))
    ticket = Ticket.objects.get()
    assert list(ticket.followers.all()) == [dave]
    assert Event.objects.filter(ticket=ticket, kind="followers_added").exists()


def test_an_agent_reply_goes_out_threaded(deliver, dana, alice, django_capture_on_commit_callbacks):
    # given a ticket that came in by e-mail
    incoming = build_mail()
    deliver(incoming)
    ticket = Ticket.objects.get()
    djmail.outbox.clear()
    # when an agent replies publicly
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="We sent a fire brigade.")
    run_queued_tasks()
    # then the reply is mailed with the threading headers
    sent = [m for m in djmail.outbox if "fire brigade" in m.body]
    assert len(sent) == 1
    headers = sent[0].extra_headers
    assert headers["In-Reply-To"] == f"<{_msgid(incoming)}>"
    assert f"<{_msgid(incoming)}>" in headers["References"]
    assert headers["Reply-To"].startswith("support+")
    assert f"[#{ticket.number}]" in sent[0].subject
    assert isinstance(sent[0], EmailMultiAlternatives)
    assert sent[0].alternatives[0][1] == "text/html"


def test_an_internal_note_is_not_mailed(deliver, dana, alice, django_capture_on_commit_callbacks):
    deliver(build_mail())
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="secret", internal=True)
    assert not Delivery.objects.filter(kind="reply").exists()


def test_an_agent_forward_opens_a_ticket_for_the_original_sender(deliver, alice, charlie):
    body = (
        "Please look at this.\n\n---------- Forwarded message ---------\n"
        "From: Charlie <charlie@outside.test>\nDate: Mon, 9 Mar 2026\nSubject: Broken\n\nIt broke."
    )
    deliver(build_mail(sender="Alice <alice@desk.test>", subject="Fwd: Broken", body=body))
    ticket = Ticket.objects.get()
    assert ticket.requester == charlie


def test_receive_stores_the_raw_bytes_before_anything_else(db):
    raw = build_mail()
    row, created = receive(raw)
    assert created and bytes(row.raw) == raw and row.state == "received"
    assert not Ticket.objects.exists()


def test_an_agent_reply_goes_out_with_its_attachment(
    deliver, dana, alice, django_capture_on_commit_callbacks
):
    deliver(build_mail())
    ticket = Ticket.objects.get()
    djmail.outbox.clear()
    report = b"%PDF-1.4 the service report"
    upload = IncomingFile(
        name="report.pdf",
        content=io.BytesIO(report),
        size=len(report),
        content_type="application/pdf",
    )
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="The report is attached.", attachments=[upload])
    run_queued_tasks()
    [sent] = [m for m in djmail.outbox if "report is attached" in m.body]
    assert [(name, content, kind) for name, content, kind in sent.attachments] == [
        ("report.pdf", report, "application/pdf")
    ]


def test_mailboxes_are_fetched_by_a_periodic_job():
    from opora.core.scheduler import PERIODIC
    from opora.inbox.email.tasks import fetch_mailboxes_task

    jobs = [job for job in PERIODIC.values() if job.task is fetch_mailboxes_task]
    assert len(jobs) == 1 and jobs[0].every.total_seconds() <= 300
