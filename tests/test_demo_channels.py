"""The demo's channels: every account works against the built-in simulator, and the
demo's messenger, phone and remote-session conversations are there.

The demo is loaded (its smallest size) into a committed database, because the phone
line's "Send a test event" posts to the desk's own address, served here by the live
server; the simulator runs on a free port, as `opora serve` runs it on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from opora.accounts.models import User
from opora.core.tasks import run_queued_tasks
from opora.demo import data
from opora.demo.simulator import Simulator, demo_points_here, start_for_demo
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers.models import Conversation, TelegramBot, VkCommunity, WhatsAppNumber
from opora.remote.models import RemoteSession
from opora.telephony.models import Call, PhoneLine
from opora.tickets.actions import add_message
from opora.tickets.models import Channel, Ticket, TicketStatus


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    sim = Simulator().start(0)
    yield sim
    sim.stop()


@pytest.fixture
def demo(live_server: Any, settings: Any, simulator: Simulator, transactional_db: None) -> None:
    settings.DEMO_SIMULATOR_PORT = simulator.port
    settings.BASE_URL = live_server.url
    call_command("demo", "--tickets", "20", stdout=StringIO())


def _checked(client: Client, url: str) -> str:
    page = client.post(url).content.decode()
    assert 'data-check="ok"' in page, page[page.find("check-result") :][:400]
    return page


def test_every_channel_test_succeeds_and_a_telegram_reply_is_delivered(
    demo: None, simulator: Simulator
) -> None:
    admin = Client()
    assert admin.login(username=data.ADMIN_EMAIL, password=data.PASSWORD)
    bot = TelegramBot.objects.get()
    vk = VkCommunity.objects.get()
    number = WhatsAppNumber.objects.get()
    line = PhoneLine.objects.get()
    assert "@opora_demo_bot" in _checked(admin, f"/admin/channels/telegram/{bot.pk}/test")
    assert "Opora Demo" in _checked(admin, f"/admin/channels/vk/{vk.pk}/test")
    _checked(admin, f"/admin/channels/whatsapp/{number.pk}/test")
    _checked(admin, f"/admin/channels/phone/{line.pk}/test")
    assert "RustDesk" in admin.get("/admin/channels/remote/").content.decode()

    # An agent answers the open Telegram request; the outbox delivers it to the chat.
    ticket = Ticket.objects.filter(channel=Channel.TELEGRAM, status=TicketStatus.OPEN).latest("id")
    chat = Conversation.objects.get(ticket=ticket)
    agent = User.objects.get(email=data.AGENTS[0].email)
    message = add_message(ticket, by=agent, body="Your tracking number is RU123456789.")
    for _ in range(3):
        run_queued_tasks()
    delivery = Delivery.objects.get(ticket_message=message)
    assert delivery.state == DeliveryState.SENT, delivery.error
    assert any(
        s.provider == "telegram" and s.to == chat.chat_id and "RU123456789" in s.text
        for s in simulator.sent
    )


def test_the_demo_shows_a_conversation_on_every_channel(demo: None) -> None:
    for channel in (Channel.TELEGRAM, Channel.VK, Channel.WHATSAPP, Channel.PHONE):
        assert Ticket.objects.filter(channel=channel).exists(), channel
    # A reply within WhatsApp's window went out through the number's conversation.
    whatsapp = Ticket.objects.filter(channel=Channel.WHATSAPP).latest("id")
    assert Conversation.objects.filter(ticket=whatsapp).exists()
    # A missed call called back, and one still waiting for its call-back.
    calls = Call.objects.order_by("id")
    assert [c.outcome for c in calls if c.direction == "in"][-2:] == ["missed", "voicemail"]
    assert calls.filter(callback_due_at__isnull=False, callback_done_at__isnull=True).count() == 1
    # A remote session, started and ended: its time is on the ticket.
    session = RemoteSession.objects.get()
    assert session.started_at is not None and session.ended_at is not None


def test_serve_starts_the_simulator_only_for_a_loaded_demo(
    settings: Any, transactional_db: None
) -> None:
    settings.DEMO_SIMULATOR_PORT = 0
    start_for_demo([])  # turned off: nothing starts
    from opora.demo import simulator as module

    assert module._running is None
    settings.DEMO_SIMULATOR_PORT = 8099
    assert not demo_points_here()
    start_for_demo([])  # no demo here: nothing starts
    assert module._running is None
