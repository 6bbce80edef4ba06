"""Every write to the desk's Telegram bots: add, change, delete (administrators only),
and what the desk learns when it talks to Telegram (the last error, the last success).

The token is written here and nowhere read back out: the audit trail records that it
changed, never its value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from opora.accounts.models import Language, Team, User
from opora.core import audit, clock
from opora.core.errors import ValidationFailed
from opora.messengers import errors
from opora.messengers.models import BotMode, Conversation, TelegramBot
from opora.messengers.selectors import require_channel_admin
from opora.messengers.telegram import client
from opora.tickets.models import Channel

EDITABLE = ("name", "token", "mode", "api_base", "team", "language", "active")
AUDITED = tuple(name for name in EDITABLE if name != "token")
AUDIT_AREA = "channels"
TOKEN_PATTERN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,180}$")


def _text(value: Any, field: str, *, code: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit or any(not ch.isprintable() for ch in text):
        raise ValidationFailed(code, _("Enter a valid value."), field=field)
    return text


def clean_token(value: Any) -> str:
    token = value.strip() if isinstance(value, str) else ""
    if not TOKEN_PATTERN.match(token):
        raise ValidationFailed(
            errors.INVALID_TOKEN,
            _("A bot token looks like 123456789:AA… (from @BotFather)."),
            field="token",
        )
    return token


def clean_api_base(value: Any) -> str:
    text = value.strip().rstrip("/") if isinstance(value, str) else ""
    parts = urlsplit(text)
    if (
        len(text) > 500
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or any(ch.isspace() for ch in text)
    ):
        raise ValidationFailed(
            errors.INVALID_API_BASE,
            _("Enter the Bot API server's address, such as https://api.telegram.org."),
            field="api_base",
        )
    return text


def _team(value: Any) -> Team | None:
    if value is None or value == "":
        return None
    found = (
        Team.objects.filter(pk=value).first()
        if isinstance(value, int) and not isinstance(value, bool)
        else None
    )
    if found is None:
        raise ValidationFailed(errors.UNKNOWN_TEAM, _("There is no such team."), field="team")
    return found


def _apply(bot: TelegramBot, values: Mapping[str, Any]) -> None:
    for field, value in values.items():
        if field not in EDITABLE:
            raise ValidationFailed(errors.UNKNOWN_FIELD, _("Unknown field."), field=field)
        if field == "name":
            bot.name = _text(value, field, code=errors.INVALID_NAME, limit=120)
        elif field == "token":
            if value in (None, "") and bot.pk is not None:
                continue  # left empty on a form: the saved token stays
            bot.token = clean_token(value)
        elif field == "mode":
            if value not in BotMode.values:
                raise ValidationFailed(
                    errors.INVALID_MODE, _("Choose “webhook” or “polling”."), field=field
                )
            bot.mode = value
        elif field == "api_base":
            bot.api_base = clean_api_base(value)
        elif field == "team":
            bot.team = _team(value)
        elif field == "language":
            if value not in Language.values:
                raise ValidationFailed(
                    errors.INVALID_LANGUAGE, _("Choose “en” or “ru”."), field=field
                )
            bot.language = value
        elif field == "active":
            if not isinstance(value, bool):
                raise ValidationFailed(errors.INVALID, _("Enter true or false."), field=field)
            bot.active = value


@transaction.atomic
def create_bot(*, by: User, values: Mapping[str, Any]) -> TelegramBot:
    """A new bot from `values` (keys of EDITABLE; `name` and `token` required)."""
    require_channel_admin(by)
    if not values.get("token"):
        raise ValidationFailed(errors.TOKEN_REQUIRED, _("A bot token is required."), field="token")
    if not values.get("name"):
        raise ValidationFailed(errors.INVALID_NAME, _("Enter a valid value."), field="name")
    bot = TelegramBot()
    _apply(bot, values)
    bot.created_at = bot.updated_at = clock.now()
    bot.save()
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="created",
        target=bot,
        label=bot.name,
        changes=audit.diff({}, audit.snapshot(bot, AUDITED)) | {"token": ["", "(set)"]},
    )
    return bot


@transaction.atomic
def update_bot(bot: TelegramBot, *, by: User, changes: Mapping[str, Any]) -> TelegramBot:
    """Change the given fields only; an empty token keeps the saved one."""
    require_channel_admin(by)
    locked = TelegramBot.objects.select_for_update(of=("self",)).get(pk=bot.pk)
    before = audit.snapshot(locked, AUDITED)
    token_before = locked.token
    _apply(locked, changes)
    if locked.token != token_before:
        locked.username = ""  # another bot now: getMe tells which
    locked.updated_at = clock.now()
    locked.save()
    diff = audit.diff(before, audit.snapshot(locked, AUDITED))
    if locked.token != token_before:
        diff["token"] = ["(set)", "(changed)"]
    audit.record_change(
        actor=by, area=AUDIT_AREA, action="changed", target=locked, label=locked.name, changes=diff
    )
    return locked


@transaction.atomic
def delete_bot(bot: TelegramBot, *, by: User) -> None:
    """Stop answering through this bot; its tickets and messages stay."""
    require_channel_admin(by)
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="deleted",
        target=bot,
        label=bot.name,
        changes=audit.diff(audit.snapshot(bot, AUDITED), {}),
    )
    Conversation.objects.filter(channel=Channel.TELEGRAM, account_id=bot.pk).delete()
    TelegramBot.objects.filter(pk=bot.pk).delete()


def note_result(bot: TelegramBot, *, error: str = "", username: str = "") -> None:
    """What the last call to Telegram said: an error (kept until a call succeeds) or
    success. Not an administrator's change: no audit row."""
    now = clock.now()
    if error:
        TelegramBot.objects.filter(pk=bot.pk).update(last_error=error[:2000], last_error_at=now)
        bot.last_error, bot.last_error_at = error[:2000], now
        return
    fields: dict[str, Any] = {"last_error": "", "last_ok_at": now}
    if username:
        fields["username"] = username[:64]
        bot.username = username[:64]
    TelegramBot.objects.filter(pk=bot.pk).update(**fields)
    bot.last_error, bot.last_ok_at = "", now


def webhook_url(bot: TelegramBot) -> str:
    """Where Telegram posts this bot's updates: the desk's public address."""
    path = reverse("messengers:telegram_webhook", args=[bot.pk])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


def check_bot(bot: TelegramBot, *, by: User) -> CheckResult:
    """getMe: is the token good and the server reachable? Shows the bot's username."""
    require_channel_admin(by)
    try:
        me = client.get_me(client.Endpoint.of(bot))
    except Exception as exc:
        error = client.describe(exc, bot.token)
        note_result(bot, error=error)
        return CheckResult(False, error)
    note_result(bot, username=me.username or "")
    return CheckResult(True, f"@{me.username}" if me.username else me.first_name)


def connect_bot(bot: TelegramBot, *, by: User) -> CheckResult:
    """Tell Telegram how the desk takes updates: setWebhook with the secret and the
    desk's address (webhook mode), or deleteWebhook so getUpdates works (polling)."""
    require_channel_admin(by)
    endpoint = client.Endpoint.of(bot)
    try:
        if bot.mode == BotMode.WEBHOOK:
            url = webhook_url(bot)
            client.set_webhook(endpoint, url, bot.webhook_secret)
            message = _("Webhook set: %(url)s") % {"url": url}
        else:
            client.delete_webhook(endpoint)
            message = _("Webhook removed: the desk fetches updates itself.")
    except Exception as exc:
        error = client.describe(exc, bot.token)
        note_result(bot, error=error)
        return CheckResult(False, error)
    note_result(bot)
    return CheckResult(True, message)


def clean_chat_id(value: Any) -> str:
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not re.fullmatch(r"-?[0-9]{1,20}|@[A-Za-z0-9_]{4,64}", text):
        raise ValidationFailed(
            errors.INVALID_CHAT,
            _("Enter a chat id (digits) or a channel's @name."),
            field="chat_id",
        )
    return text


def send_test_message(bot: TelegramBot, *, by: User, chat_id: Any, text: str = "") -> CheckResult:
    """Send a message to `chat_id` now, through the bot's server."""
    require_channel_admin(by)
    chat = clean_chat_id(chat_id)
    body = text.strip() if isinstance(text, str) else ""
    if len(body) > client.MAX_TEXT or any(not (ch.isprintable() or ch in "\n\t") for ch in body):
        raise ValidationFailed(errors.INVALID_TEXT, _("Enter a valid value."), field="text")
    body = body or _("A test message from the help desk.")
    try:
        client.send(client.Endpoint.of(bot), chat, [body], [])
    except Exception as exc:
        error = client.describe(exc, bot.token)
        note_result(bot, error=error)
        return CheckResult(False, error)
    note_result(bot)
    return CheckResult(True, _("Sent."))
