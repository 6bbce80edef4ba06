"""Mail processed in batches ends up exactly as mail processed one by one."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.db import transaction

from opora.accounts.models import User
from opora.inbox.email.batch import process_many, receive_and_process_many, receive_many
from opora.inbox.email.models import Mailbox, OutboundMail, RawMessage
from opora.inbox.email.pipeline import receive_and_process
from opora.search.models import SearchDocument
from opora.sla.models import BusinessCalendar, SlaPolicy, TicketSla
from opora.tickets.models import Attachment, Event, EventKind, Message, Ticket
from tests.inbox.conftest import build_mail
from tests.inbox.corpus import BASE_ID, all_cases


def _since(start: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else round((moment - start).total_seconds())


def _snapshot() -> dict[str, Any]:
    """Everything intake wrote, with ids and numbers replaced by stable keys."""
    email_of = dict(User.objects.values_list("id", "email"))
    raws = list(RawMessage.objects.order_by("id"))
    key: dict[int, int] = {}  # ticket id -> position of the message that opened it
    for position, raw in enumerate(raws):
        if raw.ticket_id is not None and raw.ticket_id not in key:
            key[raw.ticket_id] = position
    position_of = {}
    tickets = {}
    for ticket in Ticket.objects.all():
        messages = list(Message.objects.filter(ticket=ticket).order_by("created_at", "id"))
        position_of.update({m.pk: i for i, m in enumerate(messages)})
        sla = TicketSla.objects.get(ticket=ticket)
        tickets[key.get(ticket.pk, -ticket.pk)] = {
            "fields": (
                ticket.subject,
                email_of[ticket.requester_id],
                ticket.organization_id,
                ticket.team_id,
                ticket.status,
                ticket.priority,
                ticket.type,
                ticket.channel,
                ticket.language,
                ticket.line,
                sorted(ticket.tags.values_list("name", flat=True)),
                sorted(email_of[f] for f in ticket.followers.values_list("pk", flat=True)),
                _since(ticket.created_at, ticket.first_response_due_at),
                _since(ticket.created_at, ticket.resolution_due_at),
            ),
            "sla": (
                sla.policy_id,
                sla.state,
                sla.paused,
                sla.level,
                sla.team_id,
                sla.organization_id,
                _since(ticket.created_at, sla.due_at),
                _since(ticket.created_at, sla.warn_at),
            ),
            "messages": [
                (
                    email_of.get(m.author_id or 0),
                    m.body,
                    m.body_html,
                    m.internal,
                    m.channel,
                    m.external_id,
                    sorted(
                        # The original of unreadable mail is named by its raw row's id.
                        (re.sub(r"^original-\d+", "original-N", name), kind, size, digest)
                        for name, kind, size, digest in Attachment.objects.filter(
                            message=m
                        ).values_list("filename", "content_type", "size", "sha256")
                    ),
                )
                for m in messages
            ],
            # Sorted: mail the batch leaves to the one-by-one path (auto-replies recorded
            # on a ticket, for one) is handled after the batch, so its events come later.
            "events": sorted(
                (
                    e.kind,
                    email_of.get(e.actor_id or 0),
                    e.old,
                    str(position_of.get(int(e.new)))
                    if e.kind in (EventKind.REPLY, EventKind.NOTE)
                    else e.new,
                    sorted(
                        # People by address: ids differ between the two runs.
                        (k, str(sorted(email_of[u] for u in v) if k == "added" and ids else v))
                        for k, v in e.data.items()
                        if k not in ("requester", "raw_message")
                    ),
                )
                for e in Event.objects.filter(ticket=ticket).order_by("created_at", "id")
                for ids in [e.kind == EventKind.FOLLOWERS_ADDED]
            ),
            "outbound": sorted(
                OutboundMail.objects.filter(ticket=ticket).values_list("kind", "recipient")
            ),
            "search": SearchDocument.objects.filter(ticket_id=ticket.pk).count(),
        }
    return {
        "tickets": tickets,
        "raw": [(r.state, r.error, key.get(r.ticket_id or 0)) for r in raws],
        "users": sorted(
            User.objects.values_list("email", "name", "role", "organization_id", "language")
        ),
    }


def _run(deliver_all: Callable[[list[bytes]], object]) -> dict[str, Any]:
    with transaction.atomic():
        base = build_mail(message_id=f"<{BASE_ID}>", subject="Printer", body="It is broken.")
        deliver_all([base, *[case.raw for case in all_cases()]])
        snapshot = _snapshot()
        transaction.set_rollback(True)  # the next run starts from the same database
    return snapshot


@pytest.mark.django_db
def test_the_corpus_in_batches_gives_what_one_by_one_gives(
    mailbox: Mailbox, dana: User, dave: User, settings: Any, caplog: pytest.LogCaptureFixture
):
    # given an SLA policy, and a rate limit the corpus does not reach
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 100_000
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    SlaPolicy.objects.create(
        name="All", calendar=calendar, first_response_minutes=60, resolution_minutes=480
    )
    # when the corpus arrives one message at a time, and (from the same start) in batches
    one_by_one = _run(lambda raws: [receive_and_process(r, mailbox=mailbox) for r in raws])
    batched = _run(lambda raws: receive_and_process_many(raws, mailbox=mailbox))
    # then the batch held (no fallback to one by one for all of it), and tickets,
    # messages, events, attachments, SLA clocks and people are the same
    assert not [r for r in caplog.records if r.getMessage().startswith("batch of")]
    assert len(one_by_one["tickets"]) > 100
    assert batched["users"] == one_by_one["users"]
    assert batched["raw"] == one_by_one["raw"]
    assert batched["tickets"].keys() == one_by_one["tickets"].keys()
    for key, expected in one_by_one["tickets"].items():
        assert batched["tickets"][key] == expected, key


@pytest.mark.django_db
def test_a_reply_in_the_same_batch_joins_the_ticket_its_original_opened(mailbox, dana):
    # given a message and a reply to it, fetched together
    first = build_mail(message_id="<first@acme.test>", subject="VPN is down")
    reply = build_mail(
        message_id="<second@acme.test>",
        subject="Re: VPN is down",
        body="Still down.",
        headers={"In-Reply-To": "<first@acme.test>"},
    )
    # when they are processed in one batch
    rows = receive_and_process_many([first, reply], mailbox=mailbox)
    # then one ticket holds both
    ticket = Ticket.objects.get()
    assert [r.ticket_id for r in rows] == [ticket.pk, ticket.pk]
    assert list(ticket.messages.values_list("body", flat=True)) == [
        "Hello, the printer on floor 3 is on fire.",
        "Still down.",
    ]


@pytest.mark.django_db
def test_one_unreadable_message_does_not_hold_up_its_batch(mailbox, dana):
    # given a batch with a message that is not mail at all between two good ones
    raws = [
        build_mail(subject="One"),
        b"\x00\x01 not a message",
        build_mail(subject="Two"),
    ]
    # when the batch is processed
    rows = receive_and_process_many(raws, mailbox=mailbox)
    # then the good ones open tickets and the bad one is flagged for review
    assert [r.state for r in rows] == ["parsed", "failed", "parsed"]
    assert Ticket.objects.filter(tags__name="needs-review").count() == 1
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_a_batch_received_twice_is_stored_and_processed_once(mailbox, dana):
    raws = [build_mail(subject="One"), build_mail(subject="Two")]
    receive_and_process_many(raws, mailbox=mailbox)
    # when the same mail is received again (a re-fetch), with a copy inside the batch
    again = receive_many([*raws, raws[0]], mailbox=mailbox)
    # then nothing new is stored and nothing is processed again
    assert [created for _, created in again] == [False, False, False]
    assert process_many([row.pk for row, _ in again])[0].state == "parsed"
    assert RawMessage.objects.count() == 2 and Ticket.objects.count() == 2
