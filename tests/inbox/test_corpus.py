"""Every message of the corpus gives its expected result: a ticket, a reply on the right
ticket, an ignored auto-reply, or a ticket flagged for review; never an error, never lost."""

from __future__ import annotations

import pytest

from opora.inbox.email.models import RawMessage
from opora.tickets.models import Attachment, Message, Ticket
from tests.inbox.conftest import build_mail
from tests.inbox.corpus import BASE_ID, Case, all_cases

CASES = all_cases()


def test_the_corpus_has_at_least_150_messages():
    assert len(CASES) >= 150


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_message(case: Case, deliver, dana, dave):
    # given a ticket Dana opened by mail
    deliver(build_mail(message_id=f"<{BASE_ID}>", subject="Printer", body="It is broken."))
    base = Ticket.objects.get()
    # when the corpus message arrives
    raw = deliver(case.raw)
    # then it is stored, and handled as expected
    assert RawMessage.objects.count() == 2
    assert bytes(raw.raw) == case.raw
    expected = case.expected
    if expected.outcome == "ignored":
        assert raw.state == "ignored"
        assert Ticket.objects.count() == 1 and base.messages.count() == 1
        return
    if expected.outcome == "reply":
        assert raw.state == "parsed"
        assert Ticket.objects.count() == 1
        message = base.messages.order_by("-id")[0]
        assert raw.ticket_message == message
    else:
        assert Ticket.objects.count() == 2
        ticket = Ticket.objects.exclude(pk=base.pk).get()
        assert raw.ticket == ticket
        tags = set(ticket.tags.values_list("name", flat=True))
        assert raw.state == ("failed" if expected.outcome == "flagged" else "parsed")
        assert ("needs-review" in tags) == (expected.outcome == "flagged")
        assert ticket.requester.email == expected.requester
        assert expected.subject in ticket.subject
        message = Message.objects.filter(ticket=ticket).get()
    if expected.exact_body is not None:
        assert message.body == expected.exact_body
    for text in expected.body:
        assert text in message.body
    for text in expected.not_body:
        assert text not in message.body and text not in message.body_html
    if expected.outcome == "flagged":
        assert [a.filename for a in Attachment.objects.filter(message=message)] == [
            f"original-{raw.pk}.eml"
        ]
    else:
        assert sorted(a.filename for a in Attachment.objects.filter(message=message)) == sorted(
            expected.attachments
        )
