"""Which mail stays silent (RFC 3834): true auto-replies, out-of-office in five
languages, delivery reports and loops; and which does not: a person writing through a
mailing list or in bulk is a customer. A bounce marks the failed address undeliverable
on the customer's card and in the API, and automatic mail to it stops."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.accounts.actions import create_user
from opora.inbox.email.models import RawState
from opora.inbox.models import Delivery
from opora.tickets.models import Ticket
from tests.inbox.conftest import build_mail
from tests.inbox.senders import fixture

SILENT = [
    "ooo-en-outlook.eml",
    "ooo-ru-yandex.eml",
    "ooo-de-exchange.eml",
    "ooo-fr-outlook.eml",
    "ooo-es-gmail.eml",
    "auto-submitted-vacation.eml",
    "x-autoreply.eml",
    "x-autorespond.eml",
]


@pytest.mark.parametrize("name", SILENT)
def test_auto_replies_stay_silent(deliver, name):
    raw = deliver(fixture(f"noise/{name}"))
    assert raw.state == RawState.IGNORED and raw.error == "auto_reply"
    assert not Ticket.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize("name", ["dsn-postfix.eml", "dsn-exim-x-failed.eml"])
def test_delivery_reports_stay_silent(deliver, name):
    raw = deliver(fixture(f"noise/{name}"))
    assert raw.state == RawState.IGNORED and raw.error == "bounce"
    assert not Ticket.objects.exists()


def test_our_own_mail_coming_back_is_a_loop(deliver, mailbox):
    raw = deliver(build_mail(sender="Support <support@desk.test>", subject="Hello"))
    assert raw.state == RawState.IGNORED and raw.error == "loop"
    assert not Ticket.objects.exists()


def test_a_person_replying_through_a_list_is_a_customer_without_acknowledgement(deliver):
    raw = deliver(fixture("noise/list-person-reply.eml"))
    assert raw.state == RawState.PARSED
    ticket = Ticket.objects.get()
    assert ticket.requester.email == "rita@users.test"
    assert "export stops at 1000 rows" in ticket.messages.get().body
    # RFC 3834: no automatic answer to list mail
    assert not Delivery.objects.filter(kind="ticket_created").exists()


def test_bulk_mail_from_a_person_opens_a_ticket(deliver):
    raw = deliver(fixture("noise/bulk-person.eml"))
    assert raw.state == RawState.PARSED
    assert Ticket.objects.get().requester.email == "max@shop.test"
    assert not Delivery.objects.filter(kind="ticket_created").exists()


def test_a_customer_subject_that_merely_mentions_absence_is_not_an_auto_reply(deliver):
    raw = deliver(fixture("noise/customer-absence-subject.eml"))
    assert raw.state == RawState.PARSED
    assert Ticket.objects.get().subject == "Absence de facture"


def test_an_ordinary_mail_is_acknowledged(deliver):
    deliver(build_mail())
    assert Delivery.objects.filter(kind="ticket_created").count() == 1


@pytest.mark.parametrize(
    ("name", "address"),
    [("dsn-postfix.eml", "gone@acme.test"), ("dsn-exim-x-failed.eml", "lost@acme.test")],
)
def test_a_bounce_marks_the_customer_undeliverable(deliver, api, ada, alice, name, address):
    customer = create_user(email=address, name="Gone", by=None)
    deliver(fixture(f"noise/{name}"))
    customer.refresh_from_db()
    assert customer.email_undeliverable
    assert "bounce" in customer.email_undeliverable_reason
    # the API shows it
    person = api(ada).get(f"/users/{customer.pk}").json()
    assert person["email_undeliverable"] is True and person["email_undeliverable_since"]
    # the customer card shows it
    agent = Client()
    agent.force_login(alice)
    assert "data-undeliverable" in agent.get(f"/agent/customers/{customer.pk}").content.decode()
    # and a new mail of theirs is taken, but not acknowledged: mail to them bounces
    deliver(build_mail(sender=f"Gone <{address}>", subject="Is my address wrong?"))
    assert Ticket.objects.get().requester == customer
    assert not Delivery.objects.filter(kind="ticket_created").exists()


def test_a_bounce_creates_no_account_for_an_unknown_address(deliver):
    from opora.accounts.models import User

    deliver(fixture("noise/dsn-postfix.eml"))
    assert not User.objects.filter(email="gone@acme.test").exists()
