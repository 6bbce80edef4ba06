"""A complaint made in the portal (or by mail) is acknowledged once: by the complaint care, with its
deadline, in the customer's language; not also by the generic "request received"
notice that an ordinary portal request gets."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from typing import Any

from django.test import Client

from opora.accounts.actions import create_user
from opora.accounts.models import Team, User
from opora.complaints.models import Complaint
from opora.core.tasks import run_queued_tasks
from opora.inbox.email.models import Mailbox
from opora.inbox.email.pipeline import receive_and_process
from opora.inbox.models import Delivery
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.inbox.conftest import build_mail


def _portal_request(
    customer: User, capture: Any, *, subject: str, body: str, type_: str
) -> tuple[Ticket, list[Delivery]]:
    client = Client()
    assert client.login(email=customer.email, password=PASSWORD)
    with capture(execute=True):
        created = client.post(
            "/portal/new", {"subject": subject, "body": body, "type": type_, "priority": ""}
        )
    assert created.status_code == 302
    ticket = Ticket.objects.get(subject=subject)
    run_queued_tasks()
    return ticket, list(Delivery.objects.filter(ticket=ticket))


def _text(delivery: Delivery) -> str:
    mail = email.message_from_bytes(bytes(delivery.rendered), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_portal_complaint_gets_one_acknowledgement_with_its_deadline_in_russian(
    django_capture_on_commit_callbacks: Any, support: Team, lena: User
) -> None:
    olga = create_user(
        email="olga@cust.test", name="Ольга", password=PASSWORD, language="ru", by=None
    )
    ticket, deliveries = _portal_request(
        olga,
        django_capture_on_commit_callbacks,
        subject="Мастер не пришёл",
        body="Мастер так и не пришёл, хотя я ждала весь день.",
        type_="complaint",
    )
    complaint = Complaint.objects.get(ticket=ticket)
    [ack] = deliveries
    assert ack.kind == "reply" and ack.address == "olga@cust.test"
    assert ack.state == "sent"
    text = _text(ack)
    assert "зарегистрировали ваше обращение как жалобу" in text
    assert f"№{ticket.number}" in text
    assert "не позднее" in text and str(complaint.due_at.year) in text


def test_a_complaint_found_in_the_words_is_acknowledged_once_too(
    django_capture_on_commit_callbacks: Any, support: Team, lena: User, dana: User
) -> None:
    ticket, deliveries = _portal_request(
        dana,
        django_capture_on_commit_callbacks,
        subject="Technician",
        body="I am not happy at all: the technician never showed up. I want to file a complaint.",
        type_="question",
    )
    assert Complaint.objects.get(ticket=ticket).source == "detected"
    [ack] = deliveries
    assert "registered your message as a complaint" in _text(ack)


def test_an_ordinary_portal_request_still_gets_the_generic_acknowledgement(
    django_capture_on_commit_callbacks: Any, support: Team, lena: User, dana: User
) -> None:
    ticket, deliveries = _portal_request(
        dana,
        django_capture_on_commit_callbacks,
        subject="Printer",
        body="How do I add the printer on the third floor?",
        type_="question",
    )
    assert not Complaint.objects.filter(ticket=ticket).exists()
    [ack] = deliveries
    assert ack.kind == "ticket_created" and ack.address == dana.email


def test_a_complaint_by_mail_gets_only_the_complaint_acknowledgement(
    django_capture_on_commit_callbacks: Any, support: Team, lena: User
) -> None:
    mailbox = Mailbox.objects.create(address="support@desk.test", team=support, language="en")
    angry = "I am not happy at all: the technician never showed up. I want to file a complaint."
    with django_capture_on_commit_callbacks(execute=True):
        receive_and_process(
            build_mail(subject="Technician", body=angry), mailbox=mailbox, source="file"
        )
        receive_and_process(
            build_mail(subject="Printer", body="How do I add the printer on floor 3?"),
            mailbox=mailbox,
            source="file",
        )
    complaint = Ticket.objects.get(subject="Technician")
    question = Ticket.objects.get(subject="Printer")
    assert [d.kind for d in Delivery.objects.filter(ticket=complaint)] == ["reply"]
    assert [d.kind for d in Delivery.objects.filter(ticket=question)] == ["ticket_created"]
