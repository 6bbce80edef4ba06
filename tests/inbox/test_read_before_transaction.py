"""The intake parses and sanitizes mail before its transaction: a large or hostile
message costs CPU time, never time holding the database's write lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from opora.core import html as core_html
from opora.inbox.email import reading
from opora.inbox.email.models import Mailbox, RawState
from opora.inbox.email.pipeline import receive_and_process_many
from opora.tickets.models import Message, Ticket
from tests.inbox.conftest import build_mail

pytestmark = pytest.mark.django_db(transaction=True)


def _watch(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[bool]:
    """Each call of module.name, as whether a transaction was open at that moment."""
    seen: list[bool] = []
    real: Callable[..., Any] = getattr(module, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, watched)
    return seen


def test_parsing_and_cleaning_happen_before_the_transaction(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = _watch(monkeypatch, reading, "parse_message")
    cleaned = _watch(monkeypatch, core_html, "_clean")
    first = build_mail(
        subject="Invoice is wrong",
        body="The total is wrong.",
        html='<p onclick="x()">The total is <b>wrong</b>.</p><script>steal()</script>',
        message_id="<first@acme.test>",
    )
    nested = "<div>" * 5000 + "deep text" + "</div>" * 5000
    second = build_mail(
        sender="Max <max@acme.test>",
        subject="Nested",
        body="deep text",
        html=nested,
        message_id="<nested@acme.test>",
    )
    rows = receive_and_process_many([first, second], mailbox=mailbox)

    assert [r.state for r in rows] == [RawState.PARSED, RawState.PARSED]
    assert parsed and not any(parsed), "a message was parsed inside a transaction"
    assert cleaned and not any(cleaned), "HTML was sanitized inside a transaction"
    invoice = Message.objects.get(ticket__subject="Invoice is wrong")
    assert "<b>wrong</b>" in invoice.body_html
    assert "script" not in invoice.body_html and "onclick" not in invoice.body_html
    deep = Message.objects.get(ticket__subject="Nested")
    assert "deep text" in deep.body_html


def test_a_reply_is_cut_and_cleaned_before_the_transaction(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    [opened] = receive_and_process_many(
        [build_mail(subject="Printer jams", message_id="<jam@acme.test>")], mailbox=mailbox
    )
    assert opened.ticket_id is not None
    ticket = Ticket.objects.get(pk=opened.ticket_id)
    cleaned = _watch(monkeypatch, core_html, "_clean")
    reply = build_mail(
        subject="Re: Printer jams",
        body="It jams again.\n\nOn Mon, Dana wrote:\n> Printer jams",
        html=(
            "<div>It jams <i>again</i>.<img src=x onerror=alert(1)></div>"
            '<blockquote type="cite">Printer jams</blockquote>'
        ),
        headers={"In-Reply-To": "<jam@acme.test>", "References": "<jam@acme.test>"},
        message_id="<jam-2@acme.test>",
    )
    [row] = receive_and_process_many([reply], mailbox=mailbox)

    assert row.state == RawState.PARSED and row.ticket_id == ticket.pk
    assert cleaned and not any(cleaned)
    message = Message.objects.filter(ticket=ticket).order_by("id").last()
    assert message is not None
    assert "again" in message.body_html and "onerror" not in message.body_html
    assert "Printer jams" not in message.body_html  # the quoted history is cut


def test_a_message_that_cannot_be_read_ahead_still_gets_a_review_ticket(
    mailbox: Mailbox,
) -> None:
    [row] = receive_and_process_many([b"\x00\x01 not a mail at all"], mailbox=mailbox)
    assert row.ticket_id is not None
    assert Ticket.objects.filter(pk=row.ticket_id).exists()


def test_html_sent_through_the_api_is_cleaned_before_the_transaction(
    api: Any, alice: Any, dana: Any, support: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cleaned = _watch(monkeypatch, core_html, "_clean")
    hostile = "<div>" * 100 + "<b>deep</b><script>x()</script>" + "</div>" * 100
    opened = api(alice).post(
        "/tickets",
        {"subject": "Deep", "body": "deep", "requester": dana.email, "body_html": hostile},
    )
    assert opened.status_code == 201, opened.content[:300]
    number = opened.json()["number"]
    replied = api(dana).post(f"/tickets/{number}/messages", {"body": "x", "body_html": hostile})
    assert replied.status_code == 201, replied.content[:300]

    assert len(cleaned) >= 2 and not any(cleaned), "HTML was sanitized inside a transaction"
    stored = list(Message.objects.filter(ticket__number=number).values_list("body_html", flat=True))
    assert len(stored) == 2
    assert all("<b>deep</b>" in h and "script" not in h for h in stored)
