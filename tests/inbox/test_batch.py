"""Mail processed in batches ends up exactly as mail processed one by one."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import transaction

from opora.accounts.models import User
from opora.automation.models import BotConversation, BotState
from opora.inbox.email.models import Mailbox, RawMessage
from opora.inbox.email.pipeline import (
    process_many,
    receive_and_process,
    receive_and_process_many,
    receive_many,
)
from opora.inbox.models import Delivery
from opora.search.models import SearchDocument
from opora.sla.models import BusinessCalendar, SlaPolicy, TicketSla
from opora.tickets.actions import TicketChanges, add_message, update_ticket
from opora.tickets.models import Attachment, Event, EventKind, Message, Ticket
from tests.inbox.conftest import build_mail
from tests.inbox.corpus import BASE_ID, all_cases

FROZEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


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
        last_public = max((m.created_at for m in messages if not m.internal), default=None)
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
                # The next response is due from the customer's latest message.
                _since(last_public, sla.next_response_due_at) if last_public else None,
                ticket.solved_at is None,
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
                Delivery.objects.filter(ticket=ticket).values_list("kind", "address")
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


def _run(
    deliver_all: Callable[[list[bytes]], object], raws: list[bytes] | None = None
) -> dict[str, Any]:
    # A frozen clock: both runs see the same moments, however loaded the machine is
    # (with a running clock, rounding of SLA seconds differed between runs now and then).
    with time_machine.travel(FROZEN, tick=False), transaction.atomic():
        if raws is None:
            base = build_mail(message_id=f"<{BASE_ID}>", subject="Printer", body="It is broken.")
            raws = [base, *[case.raw for case in all_cases()]]
        deliver_all(raws)
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


def _reply(to: str, number: int, sender: str = "Dana <dana@acme.test>") -> bytes:
    return build_mail(
        sender=sender,
        message_id=f"<reply-{number}-to-{to}>",
        subject="Re: a question",
        body=f"Reply {number}: still broken.\n\nOn Mon, Support wrote:\n> What do you see?",
        headers={"In-Reply-To": f"<{to}>", "References": f"<{to}>"},
    )


def _replies_to_tickets_in_every_state(
    mailbox: Mailbox, alice: User, deliver_replies: Callable[[list[bytes]], object]
) -> None:
    """Open tickets, move them to every status, then deliver replies to all of them."""
    originals = ["new", "open", "pending", "solved", "closed", "bot"]
    for name in originals:
        receive_and_process(
            build_mail(message_id=f"<{name}@acme.test>", subject=f"Ticket {name}"),
            mailbox=mailbox,
        )
    ticket = {n: Ticket.objects.get(subject=f"Ticket {n}") for n in originals}
    for name in ("open", "pending", "solved", "closed"):
        add_message(ticket[name], by=alice, body="What do you see?")
    for name, status in [("pending", "pending"), ("solved", "solved"), ("closed", "solved")]:
        update_ticket(ticket[name], TicketChanges(status=status), by=alice)
    update_ticket(ticket["closed"], TicketChanges(status="closed"), by=alice)
    BotConversation.objects.create(ticket=ticket["bot"], state=BotState.AWAITING)
    deliver_replies(
        [
            _reply("pending@acme.test", 1),
            _reply("solved@acme.test", 2),
            _reply("pending@acme.test", 3),
            _reply("new@acme.test", 4),
            _reply("open@acme.test", 5, sender="Dave <dave@acme.test>"),  # not the requester
            _reply("closed@acme.test", 6),  # a follow-up ticket
            _reply("bot@acme.test", 7),  # hands the ticket to a person
            build_mail(message_id="<fresh@acme.test>", subject="A new one"),
            _reply("fresh@acme.test", 8),
            _reply("reply-8-to-fresh@acme.test", 9),  # a reply to a reply in the batch
            _reply("solved@acme.test", 10),
        ]
    )


@pytest.mark.django_db
def test_replies_in_batches_give_what_replies_one_by_one_give(
    mailbox: Mailbox,
    alice: User,
    dana: User,
    dave: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
):
    # given an SLA policy with a next-response target
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 100_000
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    SlaPolicy.objects.create(
        name="All",
        calendar=calendar,
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=480,
    )

    # when replies to new, open, pending, solved, closed and bot-held tickets (several
    # to one ticket, one to a ticket opened in the same batch) arrive one at a time,
    # and (from the same start) in one batch
    # (what reacts after commit, such as the answer bot, runs after each commit)
    def one_at_a_time(raws: list[bytes]) -> None:
        for raw in raws:
            with django_capture_on_commit_callbacks(execute=True):
                receive_and_process(raw, mailbox=mailbox)

    def in_one_batch(raws: list[bytes]) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            receive_and_process_many(raws, mailbox=mailbox)

    one_by_one = _run(
        lambda _: _replies_to_tickets_in_every_state(mailbox, alice, one_at_a_time), raws=[]
    )
    batched = _run(
        lambda _: _replies_to_tickets_in_every_state(mailbox, alice, in_one_batch), raws=[]
    )
    # then tickets, statuses, messages, events and SLA clocks are the same
    assert batched["raw"] == one_by_one["raw"]
    assert batched["tickets"].keys() == one_by_one["tickets"].keys()
    for key, expected in one_by_one["tickets"].items():
        assert batched["tickets"][key] == expected, key
    # and the replies moved the tickets as a desk expects
    statuses = [one_by_one["tickets"][key]["fields"][4] for key in range(6)]
    assert statuses == ["new", "open", "open", "open", "closed", "open"]
    assert len(one_by_one["tickets"]) == 8  # six opened, a follow-up, a fresh one


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


@pytest.mark.django_db
def test_a_flood_in_one_batch_is_cut_at_the_senders_limit(settings, mailbox, dana):
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 2
    rows = receive_and_process_many(
        [build_mail(subject=f"Spam {i}") for i in range(3)], mailbox=mailbox
    )
    assert [r.state for r in rows] == ["parsed", "parsed", "ignored"]
    assert Ticket.objects.count() == 2 and RawMessage.objects.count() == 3


@pytest.mark.django_db
def test_a_refused_reply_goes_one_by_one_and_is_counted_once_against_the_limit(
    settings, monkeypatch, mailbox, dana
):
    # given a ticket, and a batch of three replies to it of which the first is too long
    # for a message (the ticket refuses it, and with it the batch's other replies to it)
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 4
    receive_and_process(build_mail(message_id="<q@acme.test>", subject="Q"), mailbox=mailbox)
    monkeypatch.setattr("opora.tickets.cleaning.MAX_BODY_CHARS", 200)
    raws = [
        build_mail(
            message_id=f"<r{i}@acme.test>",
            subject="Re: Q",
            body=("x" * 300) if i == 0 else f"Reply {i}",
            headers={"In-Reply-To": "<q@acme.test>"},
        )
        for i in range(3)
    ]
    # when the batch is processed
    rows = receive_and_process_many(raws, mailbox=mailbox)
    # then each was decided again as a batch of one: the long one is a ticket for a
    # person to review, the other two joined the ticket, and none was taken for a flood
    ticket = Ticket.objects.get(subject="Q")
    assert [r.state for r in rows] == ["failed", "parsed", "parsed"]
    assert [r.ticket_id for r in rows[1:]] == [ticket.pk, ticket.pk]
    assert list(ticket.messages.values_list("body", flat=True))[1:] == ["Reply 1", "Reply 2"]
    review = Ticket.objects.get(tags__name="needs-review")
    assert rows[0].ticket_id == review.pk
    assert not any("rate limited" in (r.error or "") for r in rows)


@pytest.mark.django_db
def test_agents_mail_and_forwards_are_taken_in_the_batch(settings, mailbox, alice, dana):
    # given an agent's reply to Dana's ticket and an agent's forward of a customer's mail
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 3
    receive_and_process(build_mail(message_id="<q@acme.test>", subject="Q"), mailbox=mailbox)
    raws = [
        build_mail(
            sender="Alice <alice@desk.test>",
            message_id="<a1@desk.test>",
            subject="Re: Q",
            body="Please restart it.",
            headers={"In-Reply-To": "<q@acme.test>"},
        ),
        build_mail(
            sender="Alice <alice@desk.test>",
            message_id="<a2@desk.test>",
            subject="Fwd: Invoice",
            body="---------- Forwarded message ---------\nFrom: Erin <erin@example.test>\n\n"
            "My invoice is wrong.",
        ),
    ]
    # when they arrive in one batch
    rows = receive_and_process_many(raws, mailbox=mailbox)
    # then the reply is the desk's first response (and goes out to Dana), and the
    # forward opens a ticket for the customer it came from
    assert [r.state for r in rows] == ["parsed", "parsed"]
    ticket = Ticket.objects.get(subject="Q")
    assert ticket.first_response_at is not None and ticket.status == "open"
    assert Delivery.objects.filter(ticket=ticket, kind="reply").count() == 1
    forwarded = Ticket.objects.get(subject="Fwd: Invoice")
    assert forwarded.requester.email == "erin@example.test"


@pytest.mark.django_db(transaction=True)
def test_a_batchs_new_customers_are_stored_before_it_and_noise_makes_none(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New senders become customers ahead of the batch's transaction (two processes
    whose batches share a new sender would otherwise wait for each other's whole
    batch); an auto-reply's or bounce's sender becomes no customer, as in the batch."""
    from opora.inbox.email import pipeline

    raws = [
        build_mail(sender="Nina <nina@new.test>", subject="Card declined"),
        build_mail(sender="Nina <nina@new.test>", subject="And a second question"),
        build_mail(
            sender="Mail Delivery System <mailer-daemon@relay.test>",
            subject="Undelivered Mail Returned to Sender",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    ]
    rows = [row for row, _created in receive_many(raws, mailbox=mailbox)]
    known_when_the_batch_began: list[bool] = []
    original = pipeline._Batch.run

    def run(self: Any, ids: list[int]) -> list[int]:
        known_when_the_batch_began.append(User.objects.filter(email="nina@new.test").exists())
        return original(self, ids)

    monkeypatch.setattr(pipeline._Batch, "run", run)
    process_many([r.pk for r in rows])
    assert known_when_the_batch_began == [True]
    assert User.objects.filter(email="nina@new.test").count() == 1
    assert not User.objects.filter(email="mailer-daemon@relay.test").exists()
    assert Ticket.objects.filter(requester__email="nina@new.test").count() == 2
