"""Messenger updates taken in many at a time: webhooks only store them, one drain job
takes every waiting one through the channel layer's `receive_many`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from opora.accounts.models import Identity, User
from opora.core import clock
from opora.core.tasks import run_queued_tasks
from opora.messengers.models import Conversation, IntakeDrain, TelegramBot, TelegramUpdate, VkEvent
from opora.messengers.tasks import drain_telegram_task, drain_vk_task
from opora.messengers.telegram import intake
from opora.tickets.models import Attachment, Message, Ticket
from tests.messengers.conftest import post_to_webhook, update
from tests.messengers.telegram_server import TelegramServer
from tests.messengers.vk_fixtures import message_event
from tests.messengers.vk_server import VkServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _post(bot: TelegramBot, data: dict[str, Any]) -> Any:
    """POST an update as Telegram does, leaving the drain to the test."""
    answer = post_to_webhook(bot, data)
    assert answer.status_code == 200, answer.content
    return answer


def _drains_queued() -> int:
    return DBTaskResult.objects.filter(task_path=drain_telegram_task.module_path).count()


def _thread(ticket: Ticket) -> list[str]:
    return list(ticket.messages.order_by("created_at", "id").values_list("body", flat=True))


def test_a_batch_of_new_and_follow_up_messages_from_many_people_goes_in_in_order(
    tg_bot: TelegramBot, post_update: Any
) -> None:
    post_update(tg_bot, update("I wrote before", user_id=1))  # an open ticket already
    [earlier] = Ticket.objects.all()
    for user_id, text in [
        (1, "one more thing"),
        (2, "first from two"),
        (3, "first from three"),
        (2, "second from two"),
        (1, "and the last"),
        (3, "second from three"),
        (2, "third from two"),
    ]:
        _post(tg_bot, update(text, user_id=user_id))
    assert Ticket.objects.count() == 1  # nothing taken in yet: stored, answered
    assert drain_telegram_task.call() == 7  # one drain, one batch

    assert Ticket.objects.count() == 3
    assert _thread(earlier) == ["I wrote before", "one more thing", "and the last"]
    two = Ticket.objects.get(requester__identities__value="2")
    three = Ticket.objects.get(requester__identities__value="3")
    assert _thread(two) == ["first from two", "second from two", "third from two"]
    assert _thread(three) == ["first from three", "second from three"]
    assert two.subject == "first from two"
    assert two.team_id == tg_bot.team_id
    assert User.objects.get(pk=two.requester_id).name == "Pavel Durov"
    assert Identity.objects.filter(kind="telegram", value="2").count() == 1
    # Each chat remembers its ticket (where the replies go).
    chat = Conversation.objects.get(account_id=tg_bot.pk, chat_id="2")
    assert chat.ticket_id == two.pk
    assert set(TelegramUpdate.objects.values_list("outcome", flat=True)) == {"message"}
    assert not TelegramUpdate.objects.filter(handled_at__isnull=True).exists()


def test_a_message_twice_in_one_batch_and_again_in_the_next_is_stored_once(
    tg_bot: TelegramBot, post_update: Any
) -> None:
    same = update("only once please", user_id=5)
    _post(tg_bot, same)
    _post(tg_bot, same | {"update_id": same["update_id"] + 100000})  # sent under a new id
    _post(tg_bot, update("something else", user_id=5))
    drain_telegram_task.call()
    _post(tg_bot, same | {"update_id": same["update_id"] + 200000})
    drain_telegram_task.call()
    [ticket] = Ticket.objects.all()
    assert _thread(ticket) == ["only once please", "something else"]
    assert TelegramUpdate.objects.filter(handled_at__isnull=True).count() == 0
    # The update itself sent again is refused at the door.
    assert _post(tg_bot, same).json()["outcome"] == "duplicate"


def test_a_failing_update_does_not_stop_the_batch_and_is_marked(
    tg_bot: TelegramBot, telegram_api: TelegramServer, caplog: Any, ada: User
) -> None:
    caplog.set_level(logging.INFO, logger="opora.messengers")
    telegram_api.add_file("fine", PNG, "photos/fine.png")
    _post(tg_bot, update("before", user_id=21))
    # A file the server cannot give: the text goes in, the failure is noted in it.
    missing = [{"file_id": "gone", "file_unique_id": "g", "width": 9, "height": 9}]
    _post(tg_bot, update(None, caption="see the photo", photo=missing, user_id=22))
    # A stored update the library cannot read (stored by an older version, say).
    TelegramUpdate.objects.create(
        bot=tg_bot, update_id=1, payload={"update_id": 1, "message": {"text": "no chat"}}
    )
    # A person the desk blocked: their message opens nothing.
    _post(tg_bot, update("from a blocked person", user_id=23))
    photo = [{"file_id": "fine", "file_unique_id": "f", "width": 9, "height": 9}]
    _post(tg_bot, update(None, caption="a photo", photo=photo, user_id=24))
    drain_telegram_task.call()

    assert Ticket.objects.count() == 4
    noted = Message.objects.get(body__startswith="see the photo")
    assert "could not be fetched from Telegram" in noted.body
    assert Attachment.objects.get().message.body == "a photo"
    bad = TelegramUpdate.objects.get(update_id=1)
    assert bad.outcome == "failed"
    assert bad.handled_at is not None
    assert bad.error  # why, for whoever looks
    assert "TelegramUpdate" in caplog.text and "failed" in caplog.text

    # Blocked now: the next batch refuses that person's message, takes the other.
    User.objects.filter(identities__value="23").update(blocked=True)
    Ticket.objects.filter(requester__identities__value="23").update(status="closed")
    _post(tg_bot, update("blocked and writing", user_id=23))
    _post(tg_bot, update("after", user_id=21))
    drain_telegram_task.call()
    refused = TelegramUpdate.objects.get(payload__message__text="blocked and writing")
    assert refused.outcome == "failed"
    assert "may not open requests" in refused.error
    assert not Message.objects.filter(body="blocked and writing").exists()
    assert Message.objects.filter(body="after").exists()


def test_the_drain_is_queued_once_while_one_waits(
    tg_bot: TelegramBot, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(3):
        _post(tg_bot, update(f"message {n}", user_id=40 + n))
    assert _drains_queued() == 1
    assert run_queued_tasks() == 1  # the one drain takes all three
    assert Ticket.objects.count() == 3
    _post(tg_bot, update("later", user_id=50))
    assert _drains_queued() == 2  # the first one ran: a new one is queued
    run_queued_tasks()
    assert Ticket.objects.count() == 4


def test_a_drain_that_finds_another_running_leaves_the_work_to_it(tg_bot: TelegramBot) -> None:
    _post(tg_bot, update("waiting", user_id=60))
    IntakeDrain.objects.filter(name=intake.DRAIN).update(running_at=clock.now())
    assert drain_telegram_task.call() == 0
    assert not Ticket.objects.exists()
    IntakeDrain.objects.filter(name=intake.DRAIN).update(running_at=None)
    assert drain_telegram_task.call() == 1
    assert Ticket.objects.count() == 1


def _drain_queries(bot: TelegramBot, people: Sequence[int], follow_ups: Sequence[int]) -> int:
    for user_id in [*people, *follow_ups]:
        _post(bot, update(f"a question from {user_id}", user_id=user_id))
    with CaptureQueriesContext(connection) as queries:
        drain_telegram_task.call()
    return len(queries)


def test_a_drain_costs_the_same_number_of_statements_for_10_updates_or_50(
    tg_bot: TelegramBot, post_update: Any, settings: Any
) -> None:
    settings.MESSENGER_DRAIN_LANES = 1  # one batch each time (lanes: test_drain_lanes.py)
    # Both batches of the same kinds: people who wrote before (an open ticket each),
    # new people, follow-ups of the new people within the batch.
    for user_id in [1000, 1001, *range(3000, 3010)]:
        post_update(tg_bot, update("earlier", user_id=user_id))
    # (Both past the size from which PostgreSQL's rows go in by COPY, see core/bulk.py.)
    small = _drain_queries(tg_bot, [1000, 1001, *range(2000, 2016)], range(2000, 2004))
    large = _drain_queries(tg_bot, [*range(3000, 3010), *range(4000, 4030)], range(4000, 4010))
    assert TelegramUpdate.objects.filter(outcome="message").count() == 12 + 22 + 50
    assert Ticket.objects.count() == 12 + 16 + 30
    # A constant (about 50 statements), not one per update: the few that differ are
    # writes only some batches need (an SLA row when one of its tickets gets one).
    assert large <= small + 2, (small, large)


def test_vk_names_the_new_people_of_a_batch_in_one_users_get(
    vk_community: Any, vk_api: VkServer, post_event: Any
) -> None:
    vk_api.people[701] = ("Анна", "Ким")
    for user_id in (701, 702, 703, 701):
        post_event(vk_community, message_event(f"hi from {user_id}", user_id=user_id))
    assert VkEvent.objects.filter(handled_at__isnull=True).count() == 4
    assert drain_vk_task.call() == 4
    [call] = vk_api.sent("users.get")
    assert sorted(call.params["user_ids"].split(",")) == ["701", "702", "703"]
    assert Ticket.objects.count() == 3
    anna = Ticket.objects.get(requester__identities__value="701")
    assert User.objects.get(pk=anna.requester_id).name == "Анна Ким"
    assert _thread(anna) == ["hi from 701", "hi from 701"]
    # Known people are not asked about again.
    post_event(vk_community, message_event("again", user_id=702))
    drain_vk_task.call()
    assert len(vk_api.sent("users.get")) == 1


def test_the_replies_of_one_bot_go_out_in_one_deliverer_run_and_a_refusal_stops_none(
    tg_bot: TelegramBot,
    telegram_api: TelegramServer,
    post_update: Any,
    alice: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from opora.inbox.models import Delivery, DeliveryState
    from opora.messengers.tasks import deliver_replies_task
    from opora.tickets.actions import add_message

    for user_id in (71, 72, 73):
        post_update(tg_bot, update("Help", user_id=user_id))
    telegram_api.blocked.add("72")
    with django_capture_on_commit_callbacks(execute=True):
        for ticket in Ticket.objects.order_by("id"):
            add_message(ticket, by=alice, body=f"First answer for {ticket.requester_id}")
            add_message(ticket, by=alice, body=f"Second answer for {ticket.requester_id}")
    queued = DBTaskResult.objects.filter(task_path=deliver_replies_task.module_path)
    assert queued.count() == 1  # one deliverer for the bot, not a job per reply
    assert not DBTaskResult.objects.filter(task_path="opora.inbox.tasks.deliver_task").exists()
    run_queued_tasks()  # the deliverer (and the drains the webhooks queued: nothing left)
    states = list(Delivery.objects.order_by("id").values_list("state", flat=True))
    assert states.count(DeliveryState.SENT) == 4
    assert states.count(DeliveryState.FAILED) == 2  # the person who blocked the bot
    texts = [
        c.params["text"] for c in telegram_api.sent("sendMessage") if c.params["chat_id"] != "72"
    ]
    first, second = (
        Ticket.objects.get(requester__identities__value="71").requester_id,
        Ticket.objects.get(requester__identities__value="73").requester_id,
    )
    assert texts == [
        f"First answer for {first}",
        f"Second answer for {first}",
        f"First answer for {second}",
        f"Second answer for {second}",
    ]
