"""Connecting a Telegram bot: the API and the console, polling mode, and the token that
is never given back nor logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.core.models import AdminChange
from opora.inbox.models import Delivery
from opora.messengers.models import BotMode, TelegramBot, TelegramUpdate
from opora.messengers.telegram.polling import poll_all
from opora.tickets.actions import add_message
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.messengers.conftest import update
from tests.messengers.telegram_server import TOKEN, USERNAME, TelegramServer
from tests.writes import nothing_written

SECRET_PART = TOKEN.partition(":")[2]


def _new(server: TelegramServer, team: Team | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Shop bot",
        "token": TOKEN,
        "api_base": server.url,
        "team": team.pk if team else None,
        **extra,
    }


# --- API --------------------------------------------------------------------------------


def test_an_admin_adds_tests_and_connects_a_bot_through_the_api(
    api: Any, ada: User, support: Team, telegram_api: TelegramServer, settings: Any
) -> None:
    settings.BASE_URL = "https://desk.example.com"
    client = api(ada)
    created = client.post("/channels/telegram", _new(telegram_api, support))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["token_set"] is True
    assert "token" not in body
    assert body["webhook_url"] == f"https://desk.example.com/channels/telegram/{body['id']}/webhook"
    bot_id = body["id"]

    test = client.post(f"/channels/telegram/{bot_id}/test")
    assert test.json() == {"ok": True, "message": f"@{USERNAME}"}
    assert client.get(f"/channels/telegram/{bot_id}").json()["username"] == USERNAME

    connect = client.post(f"/channels/telegram/{bot_id}/connect")
    assert connect.json()["ok"] is True
    bot = TelegramBot.objects.get(pk=bot_id)
    assert telegram_api.webhook["url"] == body["webhook_url"]
    assert telegram_api.webhook["secret_token"] == bot.webhook_secret

    sent = client.post(
        f"/channels/telegram/{bot_id}/test-message", {"chat_id": "555", "text": "ping"}
    )
    assert sent.json()["ok"] is True
    assert telegram_api.sent("sendMessage")[-1].params == {"chat_id": "555", "text": "ping"}

    # Switching to polling removes the webhook.
    changed = client.patch(f"/channels/telegram/{bot_id}", {"mode": "polling"})
    assert changed.json()["mode"] == "polling"
    assert client.post(f"/channels/telegram/{bot_id}/connect").json()["ok"] is True
    assert telegram_api.webhook == {}

    listed = client.get("/channels/telegram").json()
    assert [b["id"] for b in listed] == [bot_id]
    assert client.delete(f"/channels/telegram/{bot_id}").status_code == 204
    assert not TelegramBot.objects.exists()
    assert list(
        AdminChange.objects.filter(area="channels").order_by("id").values_list("action", flat=True)
    ) == ["created", "changed", "deleted"]


def test_a_failed_test_shows_the_error_and_keeps_it_as_the_last_error(
    api: Any, ada: User, telegram_api: TelegramServer
) -> None:
    client = api(ada)
    bot_id = client.post("/channels/telegram", _new(telegram_api)).json()["id"]
    other = TOKEN.replace("7000001", "7000002")
    client.patch(f"/channels/telegram/{bot_id}", {"token": other})
    failed = client.post(f"/channels/telegram/{bot_id}/test").json()
    assert failed["ok"] is False
    assert "InvalidToken" in failed["message"]
    assert SECRET_PART not in failed["message"]
    shown = client.get(f"/channels/telegram/{bot_id}").json()
    assert "InvalidToken" in shown["last_error"]
    assert shown["last_error_at"] is not None
    telegram_api.stop()
    client.patch(f"/channels/telegram/{bot_id}", {"token": TOKEN})
    assert client.post(f"/channels/telegram/{bot_id}/test").json()["ok"] is False


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"token": "not-a-token"}, "token", "invalid_token"),
        ({"api_base": "ftp://x"}, "api_base", "invalid_api_base"),
        ({"api_base": "https://x/?a=1"}, "api_base", "invalid_api_base"),
        ({"team": 999999}, "team", "unknown_team"),
        ({"mode": "carrier-pigeon"}, "mode", None),
        ({"name": "  "}, "name", "invalid_name"),
        ({"secret": "mine"}, "secret", None),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    api: Any,
    ada: User,
    telegram_api: TelegramServer,
    change: dict[str, Any],
    field: str,
    code: str | None,
) -> None:
    client = api(ada)
    with nothing_written():
        answer = client.post("/channels/telegram", _new(telegram_api) | change)
    assert answer.status_code in (400, 422), answer.content
    if code:
        assert answer.json()["code"] == code


def test_only_admins_manage_bots(
    api: Any, alice: User, lena: User, tg_bot: TelegramBot, telegram_api: TelegramServer
) -> None:
    for user in (alice, lena):
        client = api(user)
        with nothing_written(tg_bot):
            assert client.get("/channels/telegram").status_code == 403
            assert client.post("/channels/telegram", _new(telegram_api)).status_code == 403
            assert client.patch(f"/channels/telegram/{tg_bot.pk}", {"name": "x"}).status_code == 403
            assert client.post(f"/channels/telegram/{tg_bot.pk}/test").status_code == 403
            assert client.delete(f"/channels/telegram/{tg_bot.pk}").status_code == 403
    assert telegram_api.calls == []
    assert api(None).get("/channels/telegram").status_code == 401


def test_the_token_is_never_returned_nor_logged(
    api: Any,
    ada: User,
    tg_bot: TelegramBot,
    telegram_api: TelegramServer,
    post_update: Any,
    run_jobs: Any,
    alice: User,
    caplog: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = api(ada)
    texts = [
        client.get("/channels/telegram").content,
        client.get(f"/channels/telegram/{tg_bot.pk}").content,
        client.patch(f"/channels/telegram/{tg_bot.pk}", {"name": "Renamed"}).content,
        client.post(f"/channels/telegram/{tg_bot.pk}/test").content,
        client.get("/api/v1/audit".removeprefix("/api/v1")).content,
    ]
    post_update(tg_bot, update("hello"))
    ticket = Ticket.objects.get()
    telegram_api.blocked.add(str(update()["message"]["chat"]["id"]))
    run_jobs(lambda: add_message(ticket, by=alice, body="reply"))
    telegram_api.stop()
    client.post(f"/channels/telegram/{tg_bot.pk}/test")
    tg_bot.refresh_from_db()
    texts += [tg_bot.last_error.encode(), Delivery.objects.get().error.encode()]
    texts += [str(c.changes).encode() for c in AdminChange.objects.all()]
    texts.append(caplog.text.encode())
    assert caplog.text  # something was logged at all
    for text in texts:
        assert SECRET_PART.encode() not in text


# --- Polling ----------------------------------------------------------------------------


def test_polling_fetches_the_waiting_updates_and_moves_the_offset(
    tg_bot: TelegramBot, telegram_api: TelegramServer, ada: User
) -> None:
    from opora.messengers.actions import update_bot

    update_bot(tg_bot, by=ada, changes={"mode": BotMode.POLLING})
    telegram_api.queue_update(update("First", update_id=301))
    telegram_api.queue_update(update("Second", update_id=302))
    assert poll_all() == 2
    tg_bot.refresh_from_db()
    assert tg_bot.update_offset == 303
    ticket = Ticket.objects.get()
    assert list(ticket.messages.values_list("body", flat=True)) == ["First", "Second"]
    # The next run asks from the new offset: Telegram forgets what was confirmed.
    assert poll_all() == 0
    assert telegram_api.sent("getUpdates")[-1].params["offset"] == "303"
    telegram_api.queue_update(update("Third", update_id=303))
    assert poll_all() == 1
    assert ticket.messages.count() == 3
    assert TelegramUpdate.objects.filter(bot=tg_bot).count() == 3


def test_polling_with_the_server_down_shows_the_error_and_loses_nothing(
    tg_bot: TelegramBot, telegram_api: TelegramServer, ada: User
) -> None:
    from opora.messengers.actions import update_bot

    update_bot(tg_bot, by=ada, changes={"mode": BotMode.POLLING})
    telegram_api.queue_update(update("Waiting", update_id=401))
    telegram_api.failing = 1
    assert poll_all() == 0
    tg_bot.refresh_from_db()
    assert "Internal Server Error" in tg_bot.last_error
    assert tg_bot.update_offset == 0
    assert poll_all() == 1
    tg_bot.refresh_from_db()
    assert tg_bot.last_error == ""


def test_a_bot_in_polling_mode_ignores_its_webhook(
    tg_bot: TelegramBot, post_update: Any, ada: User
) -> None:
    from opora.messengers.actions import update_bot

    update_bot(tg_bot, by=ada, changes={"mode": BotMode.POLLING})
    answer = post_update(tg_bot, update("via webhook"))
    assert answer.json()["outcome"] == "ignored"
    assert not Ticket.objects.exists()


# --- Console ----------------------------------------------------------------------------


def _console(user: User) -> Client:
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def test_an_admin_adds_a_bot_in_the_console_and_the_token_stays_hidden(
    ada: User, support: Team, telegram_api: TelegramServer
) -> None:
    client = _console(ada)
    assert "/admin/channels/telegram/" in client.get("/admin/channels/mailboxes/").content.decode()
    page = client.post(
        "/admin/channels/telegram/new",
        {
            "name": "Shop bot",
            "token": TOKEN,
            "mode": "webhook",
            "api_base": telegram_api.url,
            "team": support.pk,
            "language": "ru",
            "active": "on",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    bot = TelegramBot.objects.get()
    assert bot.token == TOKEN and bot.language == "ru" and bot.team_id == support.pk
    shown = client.get(page["Location"]).content.decode()
    assert SECRET_PART not in shown
    assert "data-token-set" in shown

    tested = client.post(f"/admin/channels/telegram/{bot.pk}/test").content.decode()
    assert f"@{USERNAME}" in tested and 'data-check="ok"' in tested
    connected = client.post(f"/admin/channels/telegram/{bot.pk}/connect").content.decode()
    assert 'data-check="ok"' in connected
    assert telegram_api.webhook["secret_token"] == bot.webhook_secret
    sent = client.post(
        f"/admin/channels/telegram/{bot.pk}/send-test", {"chat_id": "42", "text": "hi"}
    )
    assert 'data-check="ok"' in sent.content.decode()

    # Saving with the token field left empty keeps the token.
    saved = client.post(
        f"/admin/channels/telegram/{bot.pk}/",
        {
            "name": "Shop",
            "token": "",
            "mode": "polling",
            "api_base": telegram_api.url,
            "language": "en",
        },
    )
    assert saved.status_code == 302
    bot.refresh_from_db()
    assert (bot.name, bot.token, bot.mode, bot.active) == ("Shop", TOKEN, "polling", False)
    listing = client.get("/admin/channels/telegram/").content.decode()
    assert "Shop" in listing and f"@{USERNAME}" in listing

    telegram_api.stop()
    failed = client.post(f"/admin/channels/telegram/{bot.pk}/test").content.decode()
    assert 'data-check="failed"' in failed
    assert "Error" in client.get("/admin/channels/telegram/").content.decode()
    assert "data-last-error" in client.get(f"/admin/channels/telegram/{bot.pk}/").content.decode()

    client.post(f"/admin/channels/telegram/{bot.pk}/delete")
    assert not TelegramBot.objects.exists()


def test_the_console_refuses_bad_input_and_other_people(
    ada: User, alice: User, dana: User, tg_bot: TelegramBot, telegram_api: TelegramServer
) -> None:
    client = _console(ada)
    with nothing_written(tg_bot):
        no_token = client.post(
            "/admin/channels/telegram/new",
            {
                "name": "X",
                "token": "",
                "mode": "webhook",
                "api_base": telegram_api.url,
                "language": "en",
            },
        )
        bad_chat = client.post(
            f"/admin/channels/telegram/{tg_bot.pk}/send-test", {"chat_id": "me!"}
        )
    assert no_token.status_code == 400
    assert "token is required" in no_token.content.decode()
    assert bad_chat.status_code == 400
    for person in (alice, dana):
        other = _console(person)
        with nothing_written(tg_bot):
            assert other.get("/admin/channels/telegram/").status_code == 403
            assert other.post(f"/admin/channels/telegram/{tg_bot.pk}/delete").status_code == 403
            assert other.post(f"/admin/channels/telegram/{tg_bot.pk}/test").status_code == 403
    assert client.get("/admin/channels/telegram/999999/").status_code == 404
