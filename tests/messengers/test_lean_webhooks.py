"""The providers' webhooks as `opora serve` answers them: through the very ASGI
application uvicorn runs, where POSTs to the messengers' webhook paths take the lean
path past the pages' middleware (`core/lean.py`). Each refusal still stores nothing,
an update sent twice is stored once, and every other request is Django's as before."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import httpx
import pytest
from django.core import signals
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django_tasks_db.models import DBTaskResult

from opora.asgi import application, web_application
from opora.messengers import webhooks
from opora.messengers.models import (
    TelegramBot,
    TelegramUpdate,
    VkCommunity,
    VkEvent,
    WhatsAppInbound,
    WhatsAppNumber,
)
from opora.messengers.tasks import drain_telegram_task, drain_vk_task, drain_whatsapp_task
from opora.messengers.webhooks import signature_of
from tests.messengers.conftest import update
from tests.messengers.vk_fixtures import message_event
from tests.messengers.vk_server import CONFIRMATION
from tests.messengers.whatsapp_fixtures import APP_SECRET, notification, text_message
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
LEAN_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _send(method: str, path: str, body: bytes = b"", **headers: str) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as web:
            return await web.request(
                method, path, content=body, headers={"Content-Type": "application/json", **headers}
            )

    return asyncio.run(run())


def _telegram(bot: TelegramBot, data: Any, *, secret: str | None = None) -> httpx.Response:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    given = bot.webhook_secret if secret is None else secret
    return _send("POST", f"/channels/telegram/{bot.pk}/webhook", body, **{SECRET_HEADER: given})


def _vk(community: VkCommunity, data: dict[str, Any]) -> httpx.Response:
    return _send("POST", f"/channels/vk/{community.pk}/callback", json.dumps(data).encode())


def _lean(answer: httpx.Response) -> bool:
    """Answered by the lean path: its own headers, none of the pages' middleware's."""
    return (
        answer.headers.get("content-security-policy")
        == "default-src 'none'; frame-ancestors 'none'"
        and "permissions-policy" not in answer.headers
        and "set-cookie" not in answer.headers
    )


def test_a_telegram_update_is_stored_once_and_the_drain_queued_once(tg_bot: TelegramBot) -> None:
    first = update("Where is my order?", update_id=4101)
    answer = _telegram(tg_bot, first)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True, "outcome": "queued"}
    assert _lean(answer)
    assert answer.headers["x-content-type-options"] == "nosniff"
    again = _telegram(tg_bot, first)
    assert again.json() == {"ok": True, "outcome": "duplicate"}
    assert _telegram(tg_bot, update("and another", update_id=4102)).status_code == 200
    assert TelegramUpdate.objects.filter(bot=tg_bot).count() == 2
    drains = DBTaskResult.objects.filter(task_path=drain_telegram_task.module_path)
    assert drains.count() == 1  # the second update found it queued
    assert drain_telegram_task.call() == 2


def test_forged_oversized_and_unreadable_telegram_updates_are_refused_and_store_nothing(
    tg_bot: TelegramBot,
) -> None:
    with nothing_written(tg_bot):
        wrong = _telegram(tg_bot, update("let me in"), secret="guessed")
        missing = _telegram(tg_bot, update("let me in"), secret="")
        unknown = _send(
            "POST",
            f"/channels/telegram/{tg_bot.pk + 100}/webhook",
            json.dumps(update("hi")).encode(),
            **{SECRET_HEADER: tg_bot.webhook_secret},
        )
        big = _telegram(tg_bot, {"update_id": 2, "message": {"text": "x" * (1024 * 1024 + 10)}})
        not_json = _telegram(tg_bot, b"{not json")
        no_chat = _telegram(tg_bot, {"update_id": 3, "message": {"text": "x"}})
        bad_sender = update("hi", update_id=4)
        bad_sender["message"]["from"] = {"id": "7", "is_bot": False, "first_name": "A"}
        unreadable = _telegram(tg_bot, bad_sender)
    assert [wrong.status_code, missing.status_code, unknown.status_code] == [403, 403, 403]
    assert wrong.json()["code"] == "wrong_secret"
    assert wrong.json()["errors"][0]["code"] == "wrong_secret"
    assert big.status_code == 413
    assert big.json()["code"] == "too_large"
    assert [not_json.status_code, no_chat.status_code, unreadable.status_code] == [400, 400, 400]
    assert all(_lean(a) for a in (wrong, big, not_json, unreadable))


def test_a_vk_event_is_stored_once_without_its_secret_and_forgeries_store_nothing(
    vk_community: VkCommunity,
) -> None:
    event = message_event("Здравствуйте", event_id="lean-1")
    answer = _vk(vk_community, event)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert _lean(answer)
    assert _vk(vk_community, event).text == "ok"  # VK sent it again
    [stored] = VkEvent.objects.all()
    assert "secret" not in stored.payload
    with nothing_written(vk_community):
        forged = _vk(vk_community, message_event("hi") | {"secret": "guessed"})
        other_group = _vk(vk_community, message_event("hi") | {"group_id": 1})
        big = _send(
            "POST", f"/channels/vk/{vk_community.pk}/callback", b"[" + b" " * (1024 * 1024) + b"]"
        )
    assert forged.status_code == 403
    assert forged.json()["code"] == "wrong_secret"
    assert other_group.status_code == 400
    assert other_group.json()["code"] == "wrong_group"
    assert big.status_code == 413
    confirmation = _vk(vk_community, {"type": "confirmation", "group_id": vk_community.group_id})
    assert confirmation.text == CONFIRMATION
    assert drain_vk_task.call() == 1


def _whatsapp(number: WhatsAppNumber, data: Any, *, secret: str = APP_SECRET) -> httpx.Response:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    path = f"/channels/whatsapp/{number.pk}/webhook"
    return _send("POST", path, body, **{"X-Hub-Signature-256": signature_of(body, secret)})


def test_a_whatsapp_notification_is_stored_once_and_forgeries_store_nothing(
    wa_number: WhatsAppNumber,
) -> None:
    body = notification(messages=[text_message("Hola")])
    signed = _whatsapp(wa_number, body)
    assert signed.status_code == 200, signed.text
    assert signed.json() == {"ok": True, "outcomes": {"queued": 1}}
    assert _lean(signed)
    assert _whatsapp(wa_number, body).json()["outcomes"] == {"duplicate": 1}  # sent again
    with nothing_written(wa_number):
        forged = _whatsapp(wa_number, notification(messages=[text_message("hi")]), secret="x")
        big = _whatsapp(wa_number, b"[" + b" " * (1024 * 1024) + b"]")
        not_json = _whatsapp(wa_number, b"{not json")
    assert (forged.status_code, forged.json()["code"]) == (403, "wrong_signature")
    assert _lean(forged)
    assert (big.status_code, big.json()["code"]) == (413, "too_large")
    assert not_json.status_code == 400  # left to the view, which answers as before
    assert WhatsAppInbound.objects.count() == 1
    assert drain_whatsapp_task.call() == 1
    path = f"/channels/whatsapp/{wa_number.pk}/webhook"
    handshake = _send(
        "GET",
        f"{path}?hub.mode=subscribe&hub.verify_token={wa_number.verify_token}&hub.challenge=42",
    )
    assert handshake.text == "42"
    assert "permissions-policy" in handshake.headers  # Django's middleware answered it


def _post(number: WhatsAppNumber, data: Any, secret: str = APP_SECRET) -> webhooks.WhatsAppPost:
    body = json.dumps(data).encode()
    post = webhooks.read_whatsapp(number.pk, signature_of(body, secret), body)
    assert post is not None
    return post


def test_a_group_of_whatsapp_notifications_is_stored_in_three_statements(
    wa_number: WhatsAppNumber,
) -> None:
    webhooks.store_whatsapp([_post(wa_number, notification(messages=[text_message("Hi")]))])
    # given: three requests the writer takes together; the third repeats the first's
    # message (Meta sent it again) and brings a new one
    hello = text_message("Hello")
    posts = [
        _post(wa_number, notification(messages=[hello])),
        _post(wa_number, notification(messages=[text_message("let me in")]), secret="guessed"),
        _post(wa_number, notification(messages=[hello, text_message("Anyone?")])),
    ]
    # when
    with CaptureQueriesContext(connection) as queries:
        outcomes = webhooks.store_whatsapp(posts)
    # then: each is answered for itself; the forged one stored nothing
    assert outcomes == [{"queued": 1}, "wrong_signature", {"duplicate": 1, "queued": 1}]
    bodies = WhatsAppInbound.objects.values_list("payload__item__text__body", flat=True)
    assert sorted(bodies) == ["Anyone?", "Hello", "Hi"]
    # The number, the rows stored, whether the drain is queued (it is, by the first).
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_a_request_for_another_host_is_refused_and_stores_nothing(tg_bot: TelegramBot) -> None:
    with override_settings(ALLOWED_HOSTS=["desk.example.com"]), nothing_written(tg_bot):
        answer = _telegram(tg_bot, update("hi"))
    assert answer.status_code == 400


def test_other_paths_under_channels_are_still_djangos(tg_bot: TelegramBot) -> None:
    answer = _send("POST", "/channels/telegram/webhook-that-is-not")
    assert answer.status_code == 404
    assert "permissions-policy" in answer.headers


def _in_this_thread(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """The WSGI application `opora serve` runs, called in this thread (its statements
    are this test's connection's), with the connections left open as the test client
    leaves them."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
    } | {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    status: list[str] = []
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        answer = web_application(environ, lambda line, _headers: status.append(line))
        content = b"".join(answer)
        answer.close()  # type: ignore[attr-defined]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return int(status[0].split()[0]), content


def test_a_stored_update_costs_three_statements(tg_bot: TelegramBot) -> None:
    _telegram(tg_bot, update("first"))  # the drain is queued now
    path, headers = (
        f"/channels/telegram/{tg_bot.pk}/webhook",
        {SECRET_HEADER: tg_bot.webhook_secret},
    )
    with CaptureQueriesContext(connection) as queries:
        status, content = _in_this_thread(path, json.dumps(update("second")).encode(), headers)
    assert (status, json.loads(content)["outcome"]) == (200, "queued")
    # The bot, the update stored, whether its drain is queued.
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_lean_requests_are_timed_in_metrics_under_their_route(tg_bot: TelegramBot) -> None:
    _telegram(tg_bot, update("timed"))
    text = Client().get("/metrics").content.decode()
    assert (
        'opora_http_request_duration_seconds_count{method="POST",'
        'route="channels/telegram/<id:bot_id>/webhook",status="2xx"}'
    ) in text
