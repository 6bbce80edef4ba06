"""Messenger drains in lanes: the stored updates are split by the person who wrote, and
each lane is drained by its own job, so two workers take updates in at once while one
person's messages still go in once, in order, into one conversation."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import pytest
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from opora.messengers import drain
from opora.messengers.models import Conversation, TelegramBot, TelegramUpdate, VkEvent
from opora.messengers.tasks import drain_telegram_task
from opora.messengers.telegram import intake
from opora.messengers.vk import intake as vk_intake
from opora.tickets.models import Message, Ticket
from tests.messengers.conftest import post_to_webhook, update
from tests.messengers.vk_fixtures import message_event

PEOPLE = 40
EACH = 5  # messages per person


def _post(bot: TelegramBot, data: dict[str, Any]) -> None:
    """POST an update as Telegram does, leaving the drain to the test."""
    answer = post_to_webhook(bot, data)
    assert answer.status_code == 200, answer.content


def _burst(bot: TelegramBot) -> None:
    """EACH messages from each of PEOPLE people, interleaved as they would arrive."""
    for n in range(EACH):
        for person in range(PEOPLE):
            _post(bot, update(f"{person}: message {n}", user_id=7000 + person))


def _assert_each_message_once_in_order() -> None:
    assert not TelegramUpdate.objects.filter(handled_at__isnull=True).exists()
    assert set(TelegramUpdate.objects.values_list("outcome", flat=True)) == {"message"}
    assert Message.objects.count() == PEOPLE * EACH
    assert Message.objects.values("external_id").distinct().count() == PEOPLE * EACH
    assert Ticket.objects.count() == PEOPLE  # one conversation opened per person
    assert Conversation.objects.count() == PEOPLE
    for ticket in Ticket.objects.all():
        bodies = list(ticket.messages.order_by("id").values_list("body", flat=True))
        person = bodies[0].split(":")[0]
        assert bodies == [f"{person}: message {n}" for n in range(EACH)]
        chat = Conversation.objects.get(chat_id=str(7000 + int(person)))
        assert chat.ticket_id == ticket.pk


def test_a_person_always_lands_in_the_same_lane_and_people_spread_over_the_lanes(
    tg_bot: TelegramBot,
) -> None:
    for person in range(20):
        _post(tg_bot, update("hello", user_id=7000 + person))
        _post(tg_bot, update("again", user_id=7000 + person))
    shards: dict[str, set[int]] = defaultdict(set)
    for row in TelegramUpdate.objects.all():
        shards[str(row.payload["message"]["from"]["id"])].add(row.shard)
    assert all(len(found) == 1 for found in shards.values())
    assert {s % drain.lanes() for found in shards.values() for s in found} == {0, 1}
    # A lane's job takes only its own people.
    lane_one = [p for p, found in shards.items() if next(iter(found)) % 2 == 1]
    assert drain_telegram_task.call(1) == 2 * len(lane_one)
    assert set(Ticket.objects.values_list("requester__identities__value", flat=True)) == set(
        lane_one
    )
    assert drain_telegram_task.call(0) == 40 - 2 * len(lane_one)
    assert Ticket.objects.count() == 20


def test_the_webhook_queues_the_drain_of_each_lane_it_stored_for(tg_bot: TelegramBot) -> None:
    for person in range(10):
        _post(tg_bot, update("hello", user_id=7000 + person))
    queued = DBTaskResult.objects.filter(task_path=drain_telegram_task.module_path)
    assert sorted(job.args_kwargs["args"][0] for job in queued) == [0, 1]  # once per lane


def test_a_vk_persons_messages_and_permissions_share_a_lane(
    vk_community: Any, post_event: Any
) -> None:
    event = message_event("hi", user_id=701)
    deny = {"type": "message_deny", "object": {"user_id": 701}}
    assert vk_intake.shard(event) == vk_intake.shard(deny) == drain.shard_of(701)
    assert vk_intake.shard({"type": "message_new", "object": "nonsense"}) == 0
    post_event(vk_community, event)
    assert VkEvent.objects.get().shard == drain.shard_of(701)


@pytest.mark.django_db(transaction=True)
def test_two_lanes_drain_a_burst_at_once_each_message_once_in_order(
    tg_bot: TelegramBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL")
    _burst(tg_bot)
    monkeypatch.setattr(drain, "BATCH", 7)  # many small batches, interleaved
    # Each lane's first batch waits for the other lane's: lanes that ran one after
    # the other would never meet here.
    met = threading.Barrier(2, timeout=30)
    take, local = intake.take_many, threading.local()

    def take_meeting(ids: list[int]) -> int:
        if not getattr(local, "met", False):
            local.met = True
            met.wait()
        return take(ids)

    monkeypatch.setattr(intake, "take_many", take_meeting)
    errors: list[BaseException] = []
    done: list[int] = []

    def work(lane: int) -> None:
        try:
            done.append(drain_telegram_task.call(lane))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(lane,)) for lane in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(done) == PEOPLE * EACH and all(done)
    _assert_each_message_once_in_order()


@pytest.mark.django_db(transaction=True)
def test_drains_racing_for_the_same_lanes_take_each_message_once_in_order(
    tg_bot: TelegramBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL")
    _burst(tg_bot)
    monkeypatch.setattr(drain, "BATCH", 7)
    start = threading.Barrier(4, timeout=30)
    errors: list[BaseException] = []

    def work(lane: int | None) -> None:
        try:
            start.wait()
            drain_telegram_task.call(lane)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # Two jobs per lane at once (a lane's job and jobs queued before there were lanes).
    threads = [threading.Thread(target=work, args=(lane,)) for lane in (0, 1, None, None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    drain_telegram_task.call()  # a job that found its lease taken left nothing behind
    _assert_each_message_once_in_order()


def test_lanes_one_after_another_take_the_same_burst_the_same_way(tg_bot: TelegramBot) -> None:
    _burst(tg_bot)
    assert drain_telegram_task.call(1) + drain_telegram_task.call(0) == PEOPLE * EACH
    _assert_each_message_once_in_order()
