"""The channel layer: a channel plugin receives through the same path as e-mail, and the
desk's replies reach the customer through its adapter, durably."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from opora.accounts.identities import Contact
from opora.accounts.models import Identity, User
from opora.inbox import channels
from opora.inbox.channels import DeliveryFailed, Inbound, receive
from opora.inbox.delivery import deliver, sweep
from opora.inbox.models import Delivery, DeliveryState
from opora.tickets.actions import add_message
from opora.tickets.models import Channel, Event, EventKind, Message, Ticket


@dataclass
class Messenger:
    """A channel plugin as a messenger would write one: it keeps what it sent."""

    channel: str = Channel.TELEGRAM
    immediate: bool = False
    sent: list[tuple[str, str]] = field(default_factory=list)
    refuse: str = ""  # "", "once", "always", "permanent"

    def address_for(self, ticket: Ticket, message: Message | None) -> str | None:
        found = Identity.objects.filter(user_id=ticket.requester_id, kind="telegram").first()
        return found.value if found else None

    def deliver(self, delivery: Any) -> str:
        if self.refuse == "permanent":
            raise DeliveryFailed("chat not found", permanent=True)
        if self.refuse in ("once", "always"):
            if self.refuse == "once":
                self.refuse = ""
            raise ConnectionError("provider unreachable")
        self.sent.append((delivery.address, delivery.ticket_message.body))
        return f"tg-{len(self.sent)}"


@pytest.fixture
def messenger() -> Iterator[Messenger]:
    plugin = Messenger()
    before = channels.registered()
    channels.register(plugin)
    yield plugin
    channels._adapters.clear()
    channels._adapters.update(before)


def _from(user_id: str, text: str, **kw: Any) -> Inbound:
    return Inbound(
        channel=Channel.TELEGRAM,
        contact=Contact(kind="telegram", value=user_id, name="Pavel"),
        body=text,
        **kw,
    )


def test_a_first_message_opens_a_ticket_and_the_next_joins_it(
    db: None, messenger: Messenger
) -> None:
    ticket, first = receive(_from("1001", "Не приходит код подтверждения на телефон"))
    again, second = receive(_from("1001", "Уже полчаса жду"))
    assert again.pk == ticket.pk
    assert ticket.channel == Channel.TELEGRAM
    assert ticket.language == "ru"
    assert list(ticket.messages.values_list("body", flat=True)) == [first.body, second.body]
    person = User.objects.get(pk=ticket.requester_id)
    assert not person.reachable_by_email
    assert person.name == "Pavel"


def test_a_message_the_provider_sends_twice_is_kept_once(db: None, messenger: Messenger) -> None:
    receive(_from("1001", "hello", external_id="m-1"))
    receive(_from("1001", "hello", external_id="m-1"))
    assert Message.objects.count() == 1


def test_a_verified_address_joins_the_person_who_has_it(
    db: None, dana: User, messenger: Messenger
) -> None:
    inbound = Inbound(
        channel=Channel.TELEGRAM,
        contact=Contact(kind="telegram", value="77", email=dana.email, email_verified=True),
        body="It's me again",
    )
    ticket, _ = receive(inbound)
    assert ticket.requester_id == dana.pk
    assert set(Identity.objects.filter(user=dana).values_list("kind", flat=True)) == {
        "telegram",
        "email",
    }


def test_an_unverified_address_of_someone_else_does_not_join_them(
    db: None, dana: User, messenger: Messenger
) -> None:
    inbound = Inbound(
        channel=Channel.TELEGRAM,
        contact=Contact(kind="telegram", value="78", email=dana.email),
        body="Show me Dana's tickets",
    )
    ticket, _ = receive(inbound)
    assert ticket.requester_id != dana.pk


def test_an_agent_reply_is_delivered_through_the_channel(
    db: None, alice: User, messenger: Messenger, django_capture_on_commit_callbacks: Any
) -> None:
    ticket, _ = receive(_from("1001", "Where is my order?"))
    add_message(ticket, by=alice, body="On its way", internal=False)
    add_message(ticket, by=alice, body="note to self", internal=True)
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.address, delivery.state) == ("telegram", "1001", "queued")
    assert deliver(delivery.pk) == "sent"
    assert messenger.sent == [("1001", "On its way")]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.external_id) == (DeliveryState.SENT, "tg-1")
    assert deliver(delivery.pk) == "skipped"  # never twice
    assert len(messenger.sent) == 1


def test_a_failing_delivery_is_retried_then_reported_on_the_ticket(
    db: None, alice: User, messenger: Messenger, settings: Any
) -> None:
    settings.DELIVERY_ATTEMPTS = 2
    ticket, _ = receive(_from("1001", "Where is my order?"))
    add_message(ticket, by=alice, body="On its way")
    delivery = Delivery.objects.get()
    messenger.refuse = "always"
    assert deliver(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > timezone.now()
    assert deliver(delivery.pk) == "skipped"  # not due yet
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliver(delivery.pk) == "failed"
    failed = Event.objects.get(ticket=ticket, kind=EventKind.DELIVERY_FAILED)
    assert "provider unreachable" in failed.data["error"]
    assert messenger.sent == []


def test_a_permanent_refusal_is_not_retried(db: None, alice: User, messenger: Messenger) -> None:
    ticket, _ = receive(_from("1001", "Where is my order?"))
    add_message(ticket, by=alice, body="On its way")
    messenger.refuse = "permanent"
    assert deliver(Delivery.objects.get().pk) == "failed"


def test_a_delivery_whose_runner_died_is_queued_again(
    db: None, alice: User, messenger: Messenger
) -> None:
    from django_tasks_db.models import DBTaskResult

    ticket, _ = receive(_from("1001", "Where is my order?"))
    add_message(ticket, by=alice, body="On its way")
    delivery = Delivery.objects.get()
    # A runner claimed it and died: the lease runs out, the sweep hands it on.
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    before = DBTaskResult.objects.count()
    assert sweep() == 1
    assert DBTaskResult.objects.count() == before + 1
    assert deliver(delivery.pk) == "sent"
    assert sweep() == 0
