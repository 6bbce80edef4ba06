"""Telegram bots, managed by administrators: add, change, delete, test, connect.

The token is accepted and never returned: answers say `token_set: true` instead.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field

from opora.api.common import ErrorOut, current_user
from opora.messengers import actions
from opora.messengers.models import TelegramBot
from opora.messengers.selectors import access_bot, visible_bots

router = Router(tags=["channels"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
TOKEN_DOC = "the bot's token from @BotFather; write-only, never returned"  # noqa: S105
API_BASE_DOC = "the Bot API server: https://api.telegram.org or a self-hosted one"


class TeamRef(Schema):
    id: int
    name: str


class TelegramBotOut(Schema):
    id: int
    name: str
    token_set: bool = Field(description="a token is saved (it is never returned)")
    mode: Literal["webhook", "polling"]
    api_base: str = Field(description=API_BASE_DOC)
    team: TeamRef | None
    language: str
    active: bool
    username: str = Field(description="the bot's @username, as getMe last said")
    webhook_url: str = Field(description="where Telegram posts updates in webhook mode")
    last_error: str
    last_error_at: datetime | None
    last_ok_at: datetime | None
    created_at: datetime


class _BotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramBotCreate(_BotIn):
    name: str = Field(max_length=120)
    token: str = Field(max_length=200, description=TOKEN_DOC)
    mode: Literal["webhook", "polling"] = "webhook"
    api_base: str = Field("https://api.telegram.org", max_length=500, description=API_BASE_DOC)
    team: int | None = Field(None, description="id of the team whose queue gets new tickets")
    language: Literal["en", "ru"] = Field("en", description="greeting language when unknown")
    active: bool = True


class TelegramBotUpdate(_BotIn):
    name: str | None = Field(None, max_length=120)
    token: str | None = Field(None, max_length=200, description=TOKEN_DOC)
    mode: Literal["webhook", "polling"] | None = None
    api_base: str | None = Field(None, max_length=500, description=API_BASE_DOC)
    team: int | None = Field(None, description="null: no team")
    language: Literal["en", "ru"] | None = None
    active: bool | None = None


class CheckOut(Schema):
    ok: bool
    message: str = Field(description="the bot's @username, what was done, or what went wrong")


class TestMessageIn(_BotIn):
    chat_id: str = Field(max_length=70, description="a chat id (digits) or a channel's @name")
    text: str = Field("", max_length=4096, description="empty: a standard test text")


def bot_out(bot: TelegramBot) -> dict[str, Any]:
    team = bot.team
    return {
        "id": bot.pk,
        "name": bot.name,
        "token_set": bool(bot.token),
        "mode": bot.mode,
        "api_base": bot.api_base,
        "team": {"id": team.pk, "name": team.name} if team is not None else None,
        "language": bot.language,
        "active": bot.active,
        "username": bot.username,
        "webhook_url": actions.webhook_url(bot),
        "last_error": bot.last_error,
        "last_error_at": bot.last_error_at,
        "last_ok_at": bot.last_ok_at,
        "created_at": bot.created_at,
    }


@router.get(
    "/channels/telegram",
    response={200: list[TelegramBotOut], **ERRORS},
    summary="List Telegram bots (admins)",
    operation_id="opora_api_telegram_list",
)
def list_bots(request: HttpRequest) -> list[dict[str, Any]]:
    return [bot_out(b) for b in visible_bots(current_user(request))[:500]]


@router.post(
    "/channels/telegram",
    response={201: TelegramBotOut, **ERRORS},
    summary="Add a Telegram bot (admins)",
    operation_id="opora_api_telegram_create",
)
def create_bot(request: HttpRequest, payload: TelegramBotCreate) -> Status[dict[str, Any]]:
    bot = actions.create_bot(by=current_user(request), values=payload.model_dump())
    return Status(201, bot_out(bot))


@router.get(
    "/channels/telegram/{bot_id}",
    response={200: TelegramBotOut, **ERRORS},
    summary="A Telegram bot (admins)",
    operation_id="opora_api_telegram_get",
)
def get_bot(request: HttpRequest, bot_id: int) -> dict[str, Any]:
    return bot_out(access_bot(current_user(request), bot_id))


@router.patch(
    "/channels/telegram/{bot_id}",
    response={200: TelegramBotOut, **ERRORS},
    summary="Change a Telegram bot (admins)",
    operation_id="opora_api_telegram_update",
)
def update_bot(request: HttpRequest, bot_id: int, payload: TelegramBotUpdate) -> dict[str, Any]:
    user = current_user(request)
    bot = access_bot(user, bot_id)
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    return bot_out(actions.update_bot(bot, by=user, changes=changes))


@router.delete(
    "/channels/telegram/{bot_id}",
    response={204: None, **ERRORS},
    summary="Delete a Telegram bot (admins)",
    operation_id="opora_api_telegram_delete",
)
def delete_bot(request: HttpRequest, bot_id: int) -> Status[None]:
    user = current_user(request)
    actions.delete_bot(access_bot(user, bot_id), by=user)
    return Status(204, None)


@router.post(
    "/channels/telegram/{bot_id}/test",
    response={200: CheckOut, **ERRORS},
    summary="Test a Telegram bot: getMe with its token on its server (admins)",
    operation_id="opora_api_telegram_test",
)
def test_bot(request: HttpRequest, bot_id: int) -> dict[str, Any]:
    """Answers 200 whether or not Telegram accepted the token: `ok` says which."""
    user = current_user(request)
    return asdict(actions.check_bot(access_bot(user, bot_id), by=user))


@router.post(
    "/channels/telegram/{bot_id}/connect",
    response={200: CheckOut, **ERRORS},
    summary="Set the webhook (webhook mode) or remove it (polling mode) (admins)",
    operation_id="opora_api_telegram_connect",
)
def connect_bot(request: HttpRequest, bot_id: int) -> dict[str, Any]:
    user = current_user(request)
    return asdict(actions.connect_bot(access_bot(user, bot_id), by=user))


@router.post(
    "/channels/telegram/{bot_id}/test-message",
    response={200: CheckOut, **ERRORS},
    summary="Send a test message to a chat through the bot (admins)",
    operation_id="opora_api_telegram_test_message",
)
def send_test_message(request: HttpRequest, bot_id: int, payload: TestMessageIn) -> dict[str, Any]:
    user = current_user(request)
    bot = access_bot(user, bot_id)
    return asdict(
        actions.send_test_message(bot, by=user, chat_id=payload.chat_id, text=payload.text)
    )
