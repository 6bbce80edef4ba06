"""Upgrading moves the mail already sent or waiting (OutboundMail) into the outbox
(Delivery) unchanged, so threading and queued jobs carry on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from opora.accounts.models import User
from opora.inbox.delivery import deliver
from opora.inbox.email import threading
from opora.inbox.email.parse import parse_message
from opora.inbox.models import Delivery
from opora.tickets import actions
from tests.inbox.conftest import build_mail

BEFORE = [("inbox", "0003_delivery")]
AFTER = [("inbox", "0004_email_in_the_outbox")]


@pytest.fixture
def at_previous_schema(transactional_db: None) -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    yield executor
    # Leave the schema as the other tests expect it.
    call_command("migrate", verbosity=0)


def test_outbound_mail_becomes_deliveries_with_their_ids(
    at_previous_schema: MigrationExecutor,
) -> None:
    # given a ticket with one mail sent and one failed in the old outbox, and a queued one
    executor = at_previous_schema
    old = executor.loader.project_state(BEFORE).apps
    OutboundMail = old.get_model("inbox", "OutboundMail")
    requester = User.objects.create(email="dana@acme.test", name="Dana")
    ticket = actions.create_ticket(
        requester=requester, subject="Printer", body="...", by=requester, channel="email"
    )
    sent_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    rows = [
        OutboundMail.objects.create(
            ticket_id=ticket.pk,
            kind="ticket_created",
            message_id="ack-1@desk.test",
            recipient="dana@acme.test",
            state="sent",
            attempts=1,
            sent_at=sent_at,
        ),
        OutboundMail.objects.create(
            ticket_id=ticket.pk,
            kind="reply",
            message_id="reply-1@desk.test",
            recipient="dana@acme.test",
            state="failed",
            attempts=5,
            error="SMTPRecipientsRefused: 550",
        ),
        OutboundMail.objects.create(
            ticket_id=ticket.pk,
            kind="reply",
            message_id="reply-2@desk.test",
            recipient="dana@acme.test",
        ),
    ]

    # when the schema is upgraded
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    # (and on to the latest schema, which the models below read)
    call_command("migrate", verbosity=0)

    # then each is a delivery of the e-mail channel with everything kept, under its id
    moved = list(
        Delivery.objects.order_by("id").values_list(
            "id", "channel", "kind", "address", "external_id", "state", "attempts", "error"
        )
    )
    assert moved == [
        (rows[0].pk, "email", "ticket_created", "dana@acme.test", "ack-1@desk.test", "sent", 1, ""),
        (rows[1].pk, "email", "reply", "dana@acme.test", "reply-1@desk.test", "failed", 5,
         "SMTPRecipientsRefused: 550"),
        (rows[2].pk, "email", "reply", "dana@acme.test", "reply-2@desk.test", "queued", 0, ""),
    ]  # fmt: skip
    assert Delivery.objects.get(pk=rows[0].pk).sent_at == sent_at
    # and the customer's answer to the old mail still threads by its Message-ID
    answer = parse_message(
        build_mail(subject="Re: Printer", headers={"In-Reply-To": "<reply-1@desk.test>"})
    )
    found, how = threading.find_ticket(answer, sender=requester, recipients=[])
    assert (found and found.pk, how) == (ticket.pk, "references")
    # and a new delivery takes an id after theirs
    new = Delivery.objects.create(ticket=ticket, channel="email", address="dana@acme.test")
    assert new.pk > rows[2].pk
    # and the queued one goes out
    assert deliver(rows[2].pk) == "sent"
