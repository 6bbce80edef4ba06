"""The desk's replies to messengers go out in batches: a deliverer run claims and loads
its replies with a constant number of statements, and what one reply learns (the
person blocked the bot) holds for the rest of the batch."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opora.accounts.models import User
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers.models import TelegramBot
from opora.messengers.tasks import deliver_replies_task
from opora.tickets.actions import add_message
from opora.tickets.models import Event, Ticket
from tests.messengers.conftest import update
from tests.messengers.telegram_server import TelegramServer


def _reply_to(people: range, each: int, tg_bot: TelegramBot, post_update: Any, by: User) -> None:
    for user_id in people:
        post_update(tg_bot, update("Help", user_id=user_id))
    for ticket in Ticket.objects.filter(requester__identities__value__in=[str(p) for p in people]):
        for n in range(each):
            add_message(ticket, by=by, body=f"Answer {n} for {ticket.requester_id}")


def _deliver(tg_bot: TelegramBot) -> int:
    with CaptureQueriesContext(connection) as queries:
        deliver_replies_task.call("telegram", str(tg_bot.pk))
    return len(queries)


def test_a_run_costs_the_same_statements_for_3_replies_or_30(
    tg_bot: TelegramBot, telegram_api: TelegramServer, post_update: Any, alice: User
) -> None:
    _reply_to(range(100, 103), 1, tg_bot, post_update, alice)
    small = _deliver(tg_bot)
    _reply_to(range(200, 215), 2, tg_bot, post_update, alice)
    large = _deliver(tg_bot)
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 3 + 30
    assert len(telegram_api.sent("sendMessage")) == 33
    # Claimed, loaded (bot, chats, messages, files) and saved per batch, not per reply.
    assert large <= small + 1, (small, large)
    tg_bot.refresh_from_db()
    assert tg_bot.last_ok_at is not None  # the bot's success, noted once per run


def test_a_person_who_blocked_the_bot_is_tried_once_in_a_batch(
    tg_bot: TelegramBot, telegram_api: TelegramServer, post_update: Any, alice: User
) -> None:
    _reply_to(range(300, 302), 3, tg_bot, post_update, alice)
    telegram_api.blocked.add("300")
    deliver_replies_task.call("telegram", str(tg_bot.pk))
    to_blocked = [c for c in telegram_api.sent("sendMessage") if c.params["chat_id"] == "300"]
    assert len(to_blocked) == 1  # the later ones fail at once: the chat is unreachable
    blocked = Ticket.objects.get(requester__identities__value="300")
    states = Delivery.objects.filter(ticket=blocked).values_list("state", flat=True)
    assert list(states) == [DeliveryState.FAILED] * 3
    assert Event.objects.filter(ticket=blocked, kind="delivery_failed").count() == 3
    other = Ticket.objects.get(requester__identities__value="301")
    sent = Delivery.objects.filter(ticket=other, state=DeliveryState.SENT)
    assert sent.count() == 3
    assert all(d.sent_at is not None and d.external_id for d in sent)
