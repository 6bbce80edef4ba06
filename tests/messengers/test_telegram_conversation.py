"""A Telegram conversation both ways, through the webhook and the real client library
talking to a local Bot API server."""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from opora.accounts.models import Identity, User
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers.models import Conversation, TelegramBot, TelegramUpdate
from opora.tickets.actions import add_message
from opora.tickets.attachments import IncomingFile
from opora.tickets.models import Attachment, Channel, Message, Ticket
from tests.messengers.conftest import CUSTOMER_ID, sender, update
from tests.messengers.telegram_server import TelegramServer
from tests.writes import nothing_written

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_message_with_a_photo_opens_a_ticket_and_the_agents_reply_with_a_file_reaches_the_chat(
    tg_bot: TelegramBot,
    telegram_api: TelegramServer,
    post_update: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    telegram_api.add_file("big-photo", PNG, "photos/file_7.png")
    photo = [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 10},
        {"file_id": "big-photo", "file_unique_id": "b7", "width": 800, "height": 800},
    ]
    answer = post_update(tg_bot, update(None, caption="The printer shows this", photo=photo))
    assert answer.status_code == 200, answer.content
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.TELEGRAM
    assert ticket.team_id == tg_bot.team_id
    first = ticket.messages.get()
    assert first.body == "The printer shows this"
    [stored] = Attachment.objects.filter(message=first)
    assert stored.filename == "photo-b7.jpg"
    assert stored.file.read() == PNG
    # Only the largest size was fetched, through getFile and the file address.
    assert [c.params["file_id"] for c in telegram_api.sent("getFile")] == ["big-photo"]
    person = User.objects.get(pk=ticket.requester_id)
    assert person.name == "Pavel Durov"
    assert Identity.objects.filter(user=person, kind="telegram", value=str(CUSTOMER_ID)).exists()

    # The next message joins the same ticket.
    post_update(tg_bot, update("Any news?"))
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 2

    # The agent's reply, with a document, goes to the same chat through the library.
    run_jobs(
        lambda: add_message(
            ticket,
            by=alice,
            body="Here is the manual.",
            attachments=[
                IncomingFile(
                    name="manual.pdf",
                    content=SimpleUploadedFile("manual.pdf", b"%PDF-1.4 manual"),
                    size=15,
                    content_type="application/pdf",
                )
            ],
        )
    )
    [text] = telegram_api.sent("sendMessage")
    assert text.params == {"chat_id": str(CUSTOMER_ID), "text": "Here is the manual."}
    [doc] = telegram_api.sent("sendDocument")
    assert doc.params["chat_id"] == str(CUSTOMER_ID)
    assert doc.files["document"] == ("manual.pdf", b"%PDF-1.4 manual")
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.SENT
    assert delivery.address == f"{tg_bot.pk}:{CUSTOMER_ID}"


def test_an_image_the_agent_attaches_goes_as_a_photo(
    tg_bot: TelegramBot, telegram_api: TelegramServer, post_update: Any, run_jobs: Any, alice: User
) -> None:
    post_update(tg_bot, update("Hi"))
    ticket = Ticket.objects.get()
    run_jobs(
        lambda: add_message(
            ticket,
            by=alice,
            body="Like this",
            attachments=[
                IncomingFile(
                    name="shot.png",
                    content=SimpleUploadedFile("shot.png", PNG),
                    size=len(PNG),
                    content_type="image/png",
                )
            ],
        )
    )
    [photo] = telegram_api.sent("sendPhoto")
    assert photo.files["photo"] == ("shot.png", PNG)


def test_documents_and_voice_messages_are_stored_as_attachments(
    tg_bot: TelegramBot, telegram_api: TelegramServer, post_update: Any
) -> None:
    telegram_api.add_file("doc-1", b"a,b\n1,2\n", "documents/file_1.csv")
    telegram_api.add_file("voice-1", b"OggS voice", "voice/file_2.oga")
    post_update(
        tg_bot,
        update(
            None,
            document={
                "file_id": "doc-1",
                "file_unique_id": "d1",
                "file_name": "report.csv",
                "mime_type": "text/csv",
                "file_size": 8,
            },
        ),
    )
    post_update(
        tg_bot,
        update(
            None,
            voice={
                "file_id": "voice-1",
                "file_unique_id": "v1",
                "duration": 3,
                "mime_type": "audio/ogg",
            },
        ),
    )
    ticket = Ticket.objects.get()
    files = {a.filename: a.file.read() for a in Attachment.objects.filter(message__ticket=ticket)}
    assert files == {"report.csv": b"a,b\n1,2\n", "voice-v1.ogg": b"OggS voice"}
    # A message of files alone is stored with their names as its text.
    assert list(ticket.messages.values_list("body", flat=True)) == ["report.csv", "voice-v1.ogg"]


def test_a_file_over_the_limit_is_not_fetched_and_the_message_says_so(
    tg_bot: TelegramBot, telegram_api: TelegramServer, post_update: Any, settings: Any
) -> None:
    settings.MAX_ATTACHMENT_MB = 1
    post_update(
        tg_bot,
        update(
            "see attached",
            document={
                "file_id": "huge",
                "file_unique_id": "h",
                "file_name": "dump.bin",
                "file_size": 5 * 1024 * 1024,
            },
        ),
    )
    message = Message.objects.get()
    assert message.body.startswith("see attached\n[dump.bin:")
    assert not Attachment.objects.exists()
    assert telegram_api.sent("getFile") == []


def test_a_forged_webhook_is_refused_and_stores_nothing(
    tg_bot: TelegramBot, post_update: Any, caplog: Any
) -> None:
    with nothing_written(tg_bot):
        wrong = post_update(tg_bot, update("let me in"), secret="guessed")
        missing = post_update(tg_bot, update("let me in"), secret="")
    assert wrong.status_code == 403
    assert missing.status_code == 403
    assert wrong.json()["code"] == "wrong_secret"
    with nothing_written():
        unknown = post_update(TelegramBot(pk=tg_bot.pk + 100, webhook_secret="x"), update("hi"))
    assert unknown.status_code == 403


def test_bad_bodies_get_a_clear_4xx(tg_bot: TelegramBot, post_update: Any) -> None:
    with nothing_written(tg_bot):
        assert post_update(tg_bot, b"{not json").status_code == 400
        assert post_update(tg_bot, "[1, 2]").status_code == 400
        assert post_update(tg_bot, {"update_id": "1"}).status_code == 400
        deep = "[" * 100 + "]" * 100
        assert post_update(tg_bot, f'{{"update_id": 1, "x": {deep}}}').status_code == 400
        assert post_update(tg_bot, {"update_id": 1, "message": {"text": "x"}}).status_code == 400
        big = {"update_id": 2, "message": {"text": "x" * (1024 * 1024 + 10)}}
        assert post_update(tg_bot, big).status_code == 413


def test_an_update_telegram_sends_twice_is_stored_once(
    tg_bot: TelegramBot, telegram_api: TelegramServer, post_update: Any
) -> None:
    telegram_api.add_file("doc-9", b"once", "documents/file_9.txt")
    again = update(
        "twice?",
        update_id=9001,
        document={"file_id": "doc-9", "file_unique_id": "d9", "file_name": "a.txt"},
    )
    # Stored and answered at once; the drain takes it in.
    assert post_update(tg_bot, again).json()["outcome"] == "queued"
    assert post_update(tg_bot, again).json()["outcome"] == "duplicate"
    assert Message.objects.count() == 1
    [noted] = TelegramUpdate.objects.filter(bot=tg_bot, update_id=9001)
    assert noted.outcome == "message"
    assert len(telegram_api.sent("getFile")) == 1  # not fetched again


def test_updates_of_other_kinds_are_logged_and_ignored(
    tg_bot: TelegramBot, post_update: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="opora.messengers")
    edited = {
        "update_id": 7001,
        "edited_message": update("changed")["message"] | {"edit_date": 1},
    }
    poll = {"update_id": 7002, "poll_answer": {"poll_id": "1", "option_ids": [0], "user": sender()}}
    future = {"update_id": 7003, "something_new": {"a": 1}}
    group = update("hello all", chat_type="group", update_id=7004)
    sticker = update(
        None,
        update_id=7005,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    for item in (edited, poll, future, group, sticker):
        answer = post_update(tg_bot, item)
        assert answer.status_code == 200, answer.content
        assert answer.json()["outcome"] == "queued"
    outcomes = TelegramUpdate.objects.order_by("update_id").values_list("outcome", flat=True)
    assert list(outcomes) == ["ignored"] * 5
    assert not Ticket.objects.exists()
    logged = caplog.text
    assert "update 7001 ignored (edited_message)" in logged
    assert "update 7003 ignored (something_new)" in logged
    assert "update 7004 ignored (a group chat)" in logged


def test_start_greets_in_the_persons_language_and_opens_no_ticket(
    tg_bot: TelegramBot, telegram_api: TelegramServer, post_update: Any
) -> None:
    post_update(tg_bot, update("/start", language="ru", user_id=11))
    post_update(tg_bot, update("/start", language="en-GB", user_id=12))
    post_update(tg_bot, update("/start promo-7", language="de", user_id=13))
    ru, en, other = telegram_api.sent("sendMessage")
    assert ru.params["chat_id"] == "11"
    assert ru.params["text"].startswith("Здравствуйте!")
    assert "Acme Support" in ru.params["text"]
    assert en.params["text"].startswith("Hello!")
    assert other.params["text"].startswith("Hello!")  # the bot's own language
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()


def test_a_blocked_bot_marks_the_customer_unreachable_and_the_ticket_shows_it(
    tg_bot: TelegramBot, telegram_api: TelegramServer, post_update: Any, run_jobs: Any, alice: User
) -> None:
    post_update(tg_bot, update("Help"))
    ticket = Ticket.objects.get()
    telegram_api.blocked.add(str(CUSTOMER_ID))
    run_jobs(lambda: add_message(ticket, by=alice, body="Are you there?"))
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.FAILED
    assert "blocked the bot" in delivery.error
    assert "unreachable" in delivery.error
    chat = Conversation.objects.get(channel="telegram", chat_id=str(CUSTOMER_ID))
    assert chat.unreachable_at is not None
    assert ticket.events.filter(kind="delivery_failed").exists()
    # The ticket page shows it beside the reply.
    client = _signed_in(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-delivery="failed"' in page
    assert "blocked the bot" in page

    # Later replies fail at once, without asking Telegram again ...
    calls = len(telegram_api.calls)
    run_jobs(lambda: add_message(ticket, by=alice, body="Hello?"))
    assert len(telegram_api.calls) == calls
    # ... until the customer writes again.
    telegram_api.blocked.clear()
    post_update(tg_bot, update("Sorry, I am back"))
    assert Conversation.objects.get(pk=chat.pk).unreachable_at is None
    run_jobs(lambda: add_message(ticket, by=alice, body="Welcome back"))
    assert telegram_api.sent("sendMessage")[-1].params["text"] == "Welcome back"


def test_a_failing_server_is_retried_with_backoff_and_the_failure_shows_on_the_ticket(
    tg_bot: TelegramBot,
    telegram_api: TelegramServer,
    post_update: Any,
    run_jobs: Any,
    alice: User,
    settings: Any,
) -> None:
    from opora.inbox.delivery import deliver

    settings.DELIVERY_ATTEMPTS = 3
    post_update(tg_bot, update("Help"))
    ticket = Ticket.objects.get()
    telegram_api.failing = 1
    run_jobs(lambda: add_message(ticket, by=alice, body="First try fails"))
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.QUEUED
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is not None
    assert "Internal Server Error" in delivery.error
    tg_bot.refresh_from_db()
    assert "Internal Server Error" in tg_bot.last_error

    # The backoff has run out: the next attempt goes through.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    assert deliver(delivery.pk) == "sent"

    # A server that is gone: every attempt fails; after the last the ticket shows it.
    add_message(ticket, by=alice, body="Nobody listens")
    failing = Delivery.objects.exclude(pk=delivery.pk).get(ticket=ticket)
    telegram_api.stop()
    results = []
    for _ in range(3):
        Delivery.objects.filter(pk=failing.pk).update(next_attempt_at=None)
        results.append(deliver(failing.pk))
    assert results == ["retry", "retry", "failed"]
    failing.refresh_from_db()
    assert failing.state == DeliveryState.FAILED
    assert "NetworkError" in failing.error or "TimedOut" in failing.error
    assert ticket.events.filter(kind="delivery_failed").exists()


def _signed_in(user: User) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_answer_bot_answers_a_new_telegram_request_first_and_yes_solves_it(
    tg_bot: TelegramBot,
    telegram_api: TelegramServer,
    post_update: Any,
    run_jobs: Any,
    alice: User,
    support: Any,
) -> None:
    from opora.automation.bot import configure_bot
    from opora.automation.models import BotConversation, BotState
    from opora.kb import actions as kb

    kb.create_article(
        by=alice,
        title="Printer does not print",
        body="Check the print queue and restart the spooler service.",
        status="published",
    )
    configure_bot(team_id=support.pk, enabled=True, threshold=0.5)
    run_jobs(lambda: post_update(tg_bot, update("My printer does not print")))
    ticket = Ticket.objects.get()
    [answer] = telegram_api.sent("sendMessage")
    assert answer.params["chat_id"] == str(CUSTOMER_ID)
    assert "restart the spooler service" in answer.params["text"]
    assert BotConversation.objects.get(ticket=ticket).state == BotState.AWAITING

    run_jobs(lambda: post_update(tg_bot, update("yes, thanks")))
    assert BotConversation.objects.get(ticket=ticket).state == BotState.SOLVED
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
