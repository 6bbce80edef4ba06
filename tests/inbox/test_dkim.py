"""DKIM both ways: the desk signs its mail with a key per mailbox domain (generated in
the console or the API, its DNS record shown), checked here with dkimpy and the public
key; `opora smtpd` verifies inbound signatures with a DNS answered from a dict; and
the portal's notices carry a one-click List-Unsubscribe that works."""

from __future__ import annotations

import dkim
import pytest
from django.test import Client

from opora.core.tasks import run_queued_tasks
from opora.inbox.email import dkim as opora_dkim
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.email.outbound import build_mail, unsubscribe_url
from opora.inbox.email.trust import FORGED_TAG
from opora.inbox.models import Delivery
from opora.tickets.models import Ticket
from tests.inbox.conftest import build_mail as customer_mail
from tests.inbox.senders import dns_from, running_smtpd
from tests.writes import nothing_written


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- outbound signing ------------------------------------------------------------------


def test_an_admin_generates_a_key_and_sees_its_dns_record(ada, mailbox):
    admin = _signed_in(ada)
    page = admin.get(f"/admin/channels/mailboxes/{mailbox.pk}/").content.decode()
    assert "data-dkim-generate" in page and "data-dkim-value" not in page
    answer = admin.post(f"/admin/channels/mailboxes/{mailbox.pk}/dkim", {"selector": "desk2026"})
    assert answer.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.dkim_dns_name == "desk2026._domainkey.desk.test"
    page = admin.get(f"/admin/channels/mailboxes/{mailbox.pk}/").content.decode()
    assert mailbox.dkim_dns_name in page
    assert mailbox.dkim_dns_value.startswith("v=DKIM1; k=rsa; p=")
    assert mailbox.dkim_dns_value in page
    assert "PRIVATE KEY" not in page


def test_the_api_generates_a_key_and_refuses_others(api, ada, alice, mailbox):
    agent, admin = api(alice), api(ada)
    with nothing_written(mailbox):
        refused = agent.post(f"/mailboxes/{mailbox.pk}/dkim", {})
    assert refused.status_code == 403
    with nothing_written(mailbox):
        bad = admin.post(f"/mailboxes/{mailbox.pk}/dkim", {"selector": "no good"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_selector"
    answer = admin.post(f"/mailboxes/{mailbox.pk}/dkim", {"selector": "s1"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["dkim_dns_name"] == "s1._domainkey.desk.test"
    assert body["dkim_dns_value"].startswith("v=DKIM1; k=rsa; p=")
    assert "PRIVATE" not in answer.content.decode()


def test_mail_the_desk_sends_is_signed_and_verifies(
    ada, deliver, mailbox, sink, django_capture_on_commit_callbacks
):
    box = opora_dkim_key(ada, mailbox)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(customer_mail())  # a new ticket: its acknowledgement goes out
    run_queued_tasks()
    assert len(sink.messages) == 1
    sent = sink.messages[0]
    assert sent.startswith(b"DKIM-Signature:")
    public = dns_from({box.dkim_dns_name: box.dkim_dns_value})
    assert dkim.verify(sent, dnsfunc=public)
    assert not dkim.verify(sent.replace(b"registered", b"REGISTERED"), dnsfunc=public)


def opora_dkim_key(ada, mailbox: Mailbox) -> Mailbox:
    from opora.inbox.email.actions import generate_dkim_key

    return generate_dkim_key(mailbox, by=ada, selector="s1")


def test_mail_of_a_domain_without_a_key_is_not_signed(
    deliver, mailbox, sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(customer_mail())
    run_queued_tasks()
    assert b"DKIM-Signature" not in sink.messages[0]


# --- inbound verification in opora smtpd ------------------------------------------------

SENDER_KEY = opora_dkim.generate_key()
SENDER_RECORD = opora_dkim.public_record(SENDER_KEY)


def _signed_by_acme(**kwargs) -> bytes:
    raw = customer_mail(**kwargs).replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    return opora_dkim.sign(raw, domain="acme.test", selector="s1", private_pem=SENDER_KEY) + raw


def _stored() -> bytes:
    return bytes(RawMessage.objects.order_by("-id")[0].raw)


@pytest.mark.django_db(transaction=True)
def test_smtpd_verifies_dkim_with_an_injected_dns(support):
    Mailbox.objects.create(address="support@desk.test", team=support)
    records = {"s1._domainkey.acme.test": SENDER_RECORD}
    with running_smtpd(records) as send:
        send(_signed_by_acme(), mail_from="dana@acme.test")
        assert b"dkim=pass header.d=acme.test" in _stored()
        assert b"dmarc=pass header.from=acme.test" in _stored()
        tampered = _signed_by_acme().replace(b"on fire", b"fine now")
        send(tampered, mail_from="dana@acme.test")
        assert b"dkim=fail" in _stored()
        assert b"dmarc=none" in _stored()  # no DMARC policy published
    assert _stored().startswith(b"Return-Path: <dana@acme.test>\r\nAuthentication-Results: opora;")
    assert not Ticket.objects.filter(tags__name=FORGED_TAG).exists()


@pytest.mark.django_db(transaction=True)
def test_smtpd_flags_a_forged_message_of_a_domain_that_asks_for_rejection(support):
    Mailbox.objects.create(address="support@desk.test", team=support)
    records = {
        "s1._domainkey.acme.test": SENDER_RECORD,
        "_dmarc.acme.test": "v=DMARC1; p=reject; rua=mailto:dmarc@acme.test",
    }
    with running_smtpd(records) as send:
        send(customer_mail(subject="Change of bank details"), mail_from="fraud@evil.test")
    assert b"dmarc=fail (p=reject; SPF not checked) header.from=acme.test" in _stored()
    ticket = Ticket.objects.get()
    assert FORGED_TAG in set(ticket.tags.values_list("name", flat=True))
    assert ticket.requester.email == "dana@acme.test"


# --- List-Unsubscribe on notices ---------------------------------------------------------


@pytest.fixture
def notice(dana, alice, make_ticket) -> Delivery:
    from opora.tickets import actions

    ticket = make_ticket(dana)
    message = actions.add_message(ticket, by=alice, body="We are on it.")
    return Delivery.objects.create(
        ticket=ticket,
        ticket_message=message,
        channel="web",
        kind="reply",
        address=dana.email,
        external_id="notice-1@desk.test",
    )


def test_notices_carry_a_one_click_unsubscribe(notice, dana):
    mail = build_mail(notice, templates="portal_").message()
    assert mail["List-Unsubscribe"] == f"<{unsubscribe_url(dana.pk)}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # a conversation's own replies are not notices
    assert build_mail(notice).message()["List-Unsubscribe"] is None


def test_the_one_click_post_turns_the_notices_off(notice, dana):
    path = unsubscribe_url(dana.pk).split("localhost", 1)[-1].split(":8000", 1)[-1]
    path = path[path.index("/notices/") :]
    provider = Client(enforce_csrf_checks=True)  # mail providers have no session
    answer = provider.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 200
    dana.refresh_from_db()
    assert dana.notify_by_email is False
    assert 'data-unsubscribe="done"' in provider.get(path).content.decode()


def test_the_unsubscribe_page_asks_first(notice, dana):
    path = unsubscribe_url(dana.pk)
    path = path[path.index("/notices/") :]
    page = Client().get(path)
    assert page.status_code == 200 and "data-unsubscribe-button" in page.content.decode()
    dana.refresh_from_db()
    assert dana.notify_by_email is True


def test_a_forged_unsubscribe_link_changes_nothing(dana):
    with nothing_written(dana):
        answer = Client().post("/notices/unsubscribe/not-a-token")
    assert answer.status_code == 404
