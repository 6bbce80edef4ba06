"""WhatsApp on the drain: the signed webhook stores each message and status as it came
and answers at once; the drain takes them in, in the order they came, per person."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django_tasks_db.models import DBTaskResult

from opora.accounts.identities import Contact, requester_for
from opora.accounts.models import Identity, User
from opora.core import clock
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers import drain
from opora.messengers.conversations import mark_unreachable
from opora.messengers.models import (
    Conversation,
    IntakeDrain,
    WhatsAppInbound,
    WhatsAppNumber,
    WhatsAppSent,
)
from opora.messengers.tasks import drain_whatsapp_task, sweep_whatsapp_task
from opora.tickets.actions import add_message
from opora.tickets.models import Ticket
from tests.messengers.whatsapp_fixtures import (
    CUSTOMER,
    notification,
    post_signed,
    status,
    text_message,
)

PEOPLE = [f"1555000{n:04d}" for n in range(12)]


def _stored(number: WhatsAppNumber, body: dict[str, Any]) -> dict[str, int]:
    answer = post_signed(number, body)
    assert answer.status_code == 200, answer.content
    outcomes: dict[str, int] = answer.json()["outcomes"]
    return outcomes


def test_the_webhook_stores_and_answers_and_the_drain_opens_the_tickets(
    wa_number: WhatsAppNumber,
) -> None:
    # given: three messages from each person, in bodies as Meta sends them
    for n in range(3):
        body = notification(messages=[text_message(f"{p}: {n}", sender=p) for p in PEOPLE])
        # when
        assert _stored(wa_number, body) == {"queued": len(PEOPLE)}
    # then: nothing is a ticket before the drain runs; each lane's drain is queued once
    assert not Ticket.objects.exists()
    rows = WhatsAppInbound.objects.all()
    assert all(r.handled_at is None for r in rows)
    assert {r.shard for r in rows} == {drain.shard_of(p) for p in PEOPLE}
    queued = DBTaskResult.objects.filter(task_path=drain_whatsapp_task.module_path)
    assert sorted(job.args_kwargs["args"][0] for job in queued) == [0, 1]

    assert drain_whatsapp_task.call(0) + drain_whatsapp_task.call(1) == 3 * len(PEOPLE)
    assert Ticket.objects.count() == len(PEOPLE)
    assert Conversation.objects.count() == len(PEOPLE)
    for person in PEOPLE:
        chat = Conversation.objects.get(chat_id=person)
        assert chat.ticket is not None
        bodies = list(chat.ticket.messages.order_by("id").values_list("body", flat=True))
        assert bodies == [f"{person}: {n}" for n in range(3)]
        assert User.objects.get(pk=chat.ticket.requester_id).name == "Maria Lopez"
    assert set(WhatsAppInbound.objects.values_list("outcome", flat=True)) == {"message"}


def _delivered_reply(ticket: Ticket, by: User, run_jobs: Any) -> tuple[Delivery, str]:
    run_jobs(lambda: add_message(ticket, by=by, body="Hello"))
    delivery = Delivery.objects.filter(ticket=ticket).latest("id")
    return delivery, WhatsAppSent.objects.get(delivery_id=delivery.pk).wamid


def _undeliverable(wamid: str) -> dict[str, Any]:
    return status(wamid, "failed", code=131026, title="Message undeliverable")


def _unreachable(chat: Conversation) -> bool:
    return Conversation.objects.get(pk=chat.pk).unreachable_at is not None


def test_a_status_and_a_message_waiting_together_go_in_in_the_order_they_came(
    wa_number: WhatsAppNumber, post_whatsapp: Any, run_jobs: Any, alice: User
) -> None:
    post_whatsapp(wa_number, notification(messages=[text_message("Hi")]))
    ticket = Ticket.objects.get()
    chat = Conversation.objects.get(chat_id=CUSTOMER)

    # given: the desk's reply failed, then the person wrote again, before any drain ran
    first, wamid = _delivered_reply(ticket, alice, run_jobs)
    _stored(wa_number, notification(statuses=[_undeliverable(wamid)]))
    _stored(wa_number, notification(messages=[text_message("I am back")]))
    drain_whatsapp_task.call()
    # then: the failure is shown, and the person who wrote after it is reachable
    first.refresh_from_db()
    assert first.state == DeliveryState.FAILED
    assert not _unreachable(chat)
    assert ticket.messages.filter(body="I am back").exists()

    # given: the person wrote, then the desk's next reply failed
    second, wamid = _delivered_reply(ticket, alice, run_jobs)
    _stored(wa_number, notification(messages=[text_message("Still there?")]))
    failed = notification(statuses=[_undeliverable(wamid)])
    _stored(wa_number, failed)
    # a status Meta sends again is kept once
    assert _stored(wa_number, failed) == {"duplicate": 1}
    drain_whatsapp_task.call()
    # then: the person is unreachable, and the failure is on the ticket once
    assert _unreachable(chat)
    failures = ticket.events.filter(kind="delivery_failed")
    assert [e.data.get("delivery") for e in failures] == [first.pk, second.pk]


def test_an_image_without_a_usable_media_id_is_ignored_and_the_rest_goes_in(
    wa_number: WhatsAppNumber, post_whatsapp: Any
) -> None:
    broken = text_message("broken")
    broken["type"] = "image"
    broken["image"] = {"id": ["not", "an", "id"]}
    good = text_message("fine")
    post_whatsapp(wa_number, notification(messages=[broken, good]))
    assert Ticket.objects.get().messages.get().body == "fine"
    outcomes = dict(WhatsAppInbound.objects.values_list("wamid", "outcome"))
    assert outcomes == {broken["id"]: "ignored", good["id"]: "message"}


def test_a_batch_joins_the_person_with_the_verified_number_and_records_new_ones(
    wa_number: WhatsAppNumber,
) -> None:
    # given: a person whose verified phone number the desk knows from Telegram
    dana = Contact(kind="telegram", value="111", phone="+1 555 000 1111", phone_verified=True)
    known = requester_for(dana)
    # when: that number and a new one write on WhatsApp, in one batch, then again
    first = [text_message("Hi", sender="15550001111"), text_message("Hello", sender="15550002222")]
    _stored(wa_number, notification(messages=first))
    drain_whatsapp_task.call()
    _stored(wa_number, notification(messages=[text_message("Again", sender="15550002222")]))
    drain_whatsapp_task.call()
    # then
    joined = Conversation.objects.get(chat_id="15550001111")
    assert joined.user_id == known.pk
    assert Identity.objects.get(kind="whatsapp", value="+15550001111").user_id == known.pk
    new = Conversation.objects.get(chat_id="15550002222")
    person = User.objects.get(pk=new.user_id)
    assert person.pk != known.pk
    assert person.phone == "+15550002222"
    phone = Identity.objects.get(kind="phone", value="+15550002222")
    assert (phone.user_id, phone.verified) == (person.pk, True)
    assert Identity.objects.get(kind="whatsapp", value="+15550002222").user_id == person.pk
    assert new.ticket is not None
    assert list(new.ticket.messages.values_list("body", flat=True)) == ["Hello", "Again"]
    assert Ticket.objects.count() == 2


def test_a_message_whose_drain_never_ran_is_taken_in_by_the_sweep_and_old_rows_go(
    wa_number: WhatsAppNumber, run_jobs: Any
) -> None:
    # given: a stored message whose drain job was lost, and a row handled long ago
    _stored(wa_number, notification(messages=[text_message("Lost job")]))
    long_ago = clock.now() - timedelta(minutes=10)
    WhatsAppInbound.objects.update(received_at=long_ago)
    DBTaskResult.objects.filter(task_path=drain_whatsapp_task.module_path).delete()
    IntakeDrain.objects.update(queued_at=long_ago)  # queued, but its job is gone
    old = WhatsAppInbound.objects.create(
        number=wa_number, wamid="wamid.OLD", outcome="message", handled_at=clock.now()
    )
    WhatsAppInbound.objects.filter(pk=old.pk).update(received_at=clock.now() - timedelta(days=4))
    # when / then
    assert run_jobs(lambda: sweep_whatsapp_task.call()) == 1
    assert Ticket.objects.get().subject == "Lost job"
    assert not WhatsAppInbound.objects.filter(pk=old.pk).exists()
    assert run_jobs(lambda: sweep_whatsapp_task.call()) == 0


def test_a_message_delivered_late_keeps_the_window_and_writing_again_reaches_the_person(
    wa_number: WhatsAppNumber, post_whatsapp: Any
) -> None:
    # given: the person wrote ten minutes ago
    recent = int(time.time()) - 600
    post_whatsapp(wa_number, notification(messages=[text_message("Hi", at=recent)]))
    chat = Conversation.objects.get(chat_id=CUSTOMER)
    assert chat.last_inbound_at == datetime.fromtimestamp(recent, UTC)
    # when: a message they sent two hours ago arrives only now
    late = int(time.time()) - 7200
    post_whatsapp(wa_number, notification(messages=[text_message("Sent earlier", at=late)]))
    # then: the window still starts at the later message
    chat.refresh_from_db()
    assert chat.last_inbound_at == datetime.fromtimestamp(recent, UTC)
    assert chat.ticket is not None
    assert chat.ticket.messages.count() == 2

    # given: the person became unreachable
    mark_unreachable(chat, "blocked")
    # when: they write again
    now = int(time.time())
    post_whatsapp(wa_number, notification(messages=[text_message("Back", at=now)]))
    # then: reachable, on the same chat and ticket, the window from this message
    chat.refresh_from_db()
    assert (chat.unreachable_at, chat.unreachable_reason) == (None, "")
    assert chat.last_inbound_at == datetime.fromtimestamp(now, UTC)
    assert Conversation.objects.count() == 1
    assert Ticket.objects.get().messages.count() == 3
