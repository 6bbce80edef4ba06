"""Telegram test helpers: the local Bot API server, a bot pointed at it, updates as
Telegram sends them, the webhook called through the whole HTTP stack, and jobs run."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.core.tasks import run_queued_tasks
from opora.messengers.actions import create_bot
from opora.messengers.models import BotMode, TelegramBot
from opora.messengers.tasks import drain_telegram_task
from tests.messengers.telegram_server import TOKEN, TelegramServer
from tests.messengers.vk_fixtures import post_event, vk_api, vk_community  # noqa: F401 - VK's

_update_ids = itertools.count(5000)
_message_ids = itertools.count(1)
CUSTOMER_ID = 424242


@pytest.fixture
def telegram_api() -> Iterator[TelegramServer]:
    server = TelegramServer().start()
    yield server
    server.stop()


@pytest.fixture
def tg_bot(ada: User, support: Team, telegram_api: TelegramServer) -> TelegramBot:
    return create_bot(
        by=ada,
        values={
            "name": "Acme Support",
            "token": TOKEN,
            "api_base": telegram_api.url,
            "team": support.pk,
            "mode": BotMode.WEBHOOK,
        },
    )


def sender(user_id: int = CUSTOMER_ID, language: str = "en", **extra: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": "Pavel",
        "last_name": "Durov",
        "username": "pavel_d",
        "language_code": language,
        **extra,
    }


def update(
    text: str | None = "Hello",
    *,
    user_id: int = CUSTOMER_ID,
    language: str = "en",
    update_id: int | None = None,
    chat_type: str = "private",
    **message: Any,
) -> dict[str, Any]:
    """An Update with a message, as Telegram sends it."""
    body: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": chat_type, "first_name": "Pavel"},
        "from": sender(user_id, language),
        **message,
    }
    if text is not None:
        body["text"] = text
    return {"update_id": update_id if update_id is not None else next(_update_ids), "message": body}


def post_to_webhook(bot: TelegramBot, data: Any, *, secret: str | None = None) -> Any:
    """POST an update to the bot's webhook as Telegram does (the right secret unless
    told otherwise), leaving the drain it queues to the caller."""
    body = data if isinstance(data, bytes | str) else json.dumps(data)
    return Client().post(
        f"/channels/telegram/{bot.pk}/webhook",
        body,
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=bot.webhook_secret if secret is None else secret,
    )


@pytest.fixture
def post_update(db: None) -> Callable[..., Any]:
    """POST an update to the bot's webhook, with the right secret unless told otherwise."""

    def post(bot: TelegramBot, data: Any, *, secret: str | None = None) -> Any:
        answer = post_to_webhook(bot, data, secret=secret)
        if answer.status_code == 200:
            drain_telegram_task.call()  # the drain job the webhook queued, run now
        return answer

    return post


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Do something, let its after-commit handlers queue jobs, run them (and theirs)."""

    def run(fn: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            result = fn()
        for _ in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                if not run_queued_tasks():
                    break
        return result

    return run


# WhatsApp's fixtures live beside its local server.
from tests.messengers.whatsapp_fixtures import (  # noqa: E402, F401
    post_whatsapp,
    wa_number,
    whatsapp_api,
)
