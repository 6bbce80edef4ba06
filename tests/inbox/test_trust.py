"""Trust: SPF/DKIM/DMARC results read from Authentication-Results (RFC 8601), only
from the desk's own receiving host; a DMARC failure for the sender's domain flags the
message "possibly forged", and it never threads into the customer's ticket."""

from __future__ import annotations

import pytest

from opora.inbox.email.models import RawState
from opora.inbox.email.trust import FORGED_TAG, parse_header, verdict
from opora.inbox.models import Delivery
from opora.tickets.models import Message, Ticket
from tests.inbox.conftest import build_mail

OURS = "mx.desk.test"


def test_rfc_8601_results_are_read_with_their_properties():
    authserv, results = parse_header(
        "mail-router.example.net 1; dkim=pass (good signature) header.d=newyork.example.com "
        "header.b=oINEO8hg; dkim=fail (bad signature) header.d=newyork.example.com; "
        "spf=pass smtp.mailfrom=example.net; dmarc=fail (p=reject dis=none) header.from=example.com"
    )
    assert authserv == "mail-router.example.net"
    assert [(m, r) for m, r, _ in results] == [
        ("dkim", "pass"),
        ("dkim", "fail"),
        ("spf", "pass"),
        ("dmarc", "fail"),
    ]
    assert results[0][2]["header.d"] == "newyork.example.com"
    assert results[3][2]["header.from"] == "example.com"
    assert parse_header("example.com; none") == ("example.com", [])


def test_only_the_trusted_hosts_topmost_results_count():
    forged_below = [
        f"{OURS}; spf=fail smtp.mailfrom=acme.test; dmarc=fail header.from=acme.test",
        "relay.elsewhere.test; dmarc=pass header.from=acme.test",
        f"{OURS}; dmarc=pass header.from=acme.test",  # written by the sender: ignored
    ]
    found = verdict(forged_below, {OURS})
    assert (found.spf, found.dmarc, found.dmarc_domain) == ("fail", "fail", "acme.test")
    assert not verdict(["evil.test; dmarc=fail header.from=acme.test"], {OURS}).known
    several = verdict(
        [f"{OURS}; dkim=pass header.d=acme.test", f"{OURS}; dmarc=pass header.from=acme.test"],
        {OURS},
    )
    assert (several.dkim, several.dkim_domains, several.dmarc) == ("pass", ["acme.test"], "pass")


def _reply_to(first: Message, *, results: str) -> bytes:
    return build_mail(
        subject="Re: Printer is on fire",
        body="Please send the invoice to my new bank account.",
        headers={"In-Reply-To": f"<{first.external_id}>", "Authentication-Results": results},
    )


@pytest.fixture
def dana_ticket(deliver, dana, settings) -> Ticket:
    settings.TRUSTED_AUTHSERV_IDS = [OURS]
    deliver(build_mail())
    return Ticket.objects.get()


def test_a_dmarc_failure_for_a_known_customer_opens_a_flagged_ticket(deliver, dana_ticket):
    first = dana_ticket.messages.get()
    acknowledged = Delivery.objects.count()
    raw = deliver(
        _reply_to(
            first,
            results=f"{OURS}; spf=fail smtp.mailfrom=acme.test; dkim=none; "
            "dmarc=fail (p=reject) header.from=acme.test",
        )
    )
    assert raw.state == RawState.PARSED
    assert dana_ticket.messages.count() == 1  # not threaded into the customer's ticket
    forged = Ticket.objects.exclude(pk=dana_ticket.pk).get()
    assert forged.requester.email == "dana@acme.test"
    assert FORGED_TAG in set(forged.tags.values_list("name", flat=True))
    body = forged.messages.get().body
    assert body.startswith("[Possibly forged")
    assert f"#{dana_ticket.number}" in body
    assert "new bank account" in body
    assert Delivery.objects.count() == acknowledged  # no acknowledgement to anyone


def test_the_forged_note_is_in_the_tickets_language(deliver, dana, settings, mailbox):
    settings.TRUSTED_AUTHSERV_IDS = [OURS]
    mailbox.language = "ru"
    mailbox.save()
    deliver(
        build_mail(
            subject="Смена реквизитов",
            body="Здравствуйте! Переведите, пожалуйста, оплату на новый счёт в другом банке.",
            headers={"Authentication-Results": f"{OURS}; dmarc=fail header.from=acme.test"},
        )
    )
    ticket = Ticket.objects.get()
    assert ticket.messages.get().body.startswith("[Возможно, подделка")


@pytest.mark.parametrize(
    "results",
    [
        "evil.test; dmarc=fail header.from=acme.test",  # not our host
        f"{OURS}; dmarc=pass header.from=acme.test",
        f"{OURS}; dmarc=fail header.from=other.test",  # about another domain
    ],
)
def test_other_results_thread_as_usual(deliver, dana_ticket, results):
    deliver(_reply_to(dana_ticket.messages.get(), results=results))
    assert Ticket.objects.count() == 1
    assert dana_ticket.messages.count() == 2
