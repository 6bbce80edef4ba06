"""The usual webhook, answered in the event loop and stored with others in one commit.

Almost every POST a provider sends is an ordinary update: the right secret, a body
that reads. `opora serve` answers those without Django's request cycle (`core/lean.py`,
`LeanAsgi`): the handlers here read the body in the event loop (`read_telegram`,
`read_vk`: no database), and hand it to one writer thread per process (`GroupCommit`)
that takes every update waiting, checks each one's secret against its bot or community
(constant-time), stores the accepted ones with one multi-row INSERT … ON CONFLICT DO
NOTHING, and queues the drains (`store`). WhatsApp's signed notifications
(`read_whatsapp`) have a writer of their own (`store_whatsapp`): each raw body's
signature checked against its number's app secret, every accepted body's rows stored
with one INSERT. Every request of the group is answered only after that commit: the
provider never gets 200 for an update that is not durably stored, and a failed write
answers 500, so it sends the update again.

Anything else (a body that does not read, a VK confirmation, an oversized body's
refusal aside) is left to the views (`views.py`, `vk/callback.py`,
`whatsapp/views.py`), which answer it as they always did; they store an update through
the same `store` (WhatsApp: `intake.keep`), one at a time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any, TypeGuard

import orjson
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from opora.core import jsonin, lean, rows
from opora.core.bulk import insert_new
from opora.messengers import drain, errors
from opora.messengers.models import (
    BotMode,
    TelegramBot,
    TelegramUpdate,
    VkCommunity,
    VkEvent,
    WhatsAppNumber,
)
from opora.messengers.tasks import drain_telegram_task, drain_vk_task
from opora.messengers.telegram import intake as telegram_intake
from opora.messengers.telegram import reading
from opora.messengers.vk import intake as vk_intake
from opora.messengers.whatsapp import intake as whatsapp_intake

logger = logging.getLogger("opora.messengers")

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
# An update with a long text and its entities, or an event with its attachments'
# descriptions, is a few tens of kilobytes.
MAX_BYTES = 1024 * 1024

# What became of a stored update, besides telegram_intake's QUEUED, DUPLICATE, IGNORED.
WRONG_SECRET = errors.WRONG_SECRET
WRONG_GROUP = errors.WRONG_GROUP
WRONG_SIGNATURE = errors.WRONG_SIGNATURE
SIGNATURE_HEADER = "x-hub-signature-256"
OK = "ok"  # VK's answer to an event stored, stored before, or for a community turned off

# What the lookups read: the bot's or community's secret and state.
TELEGRAM_FIELDS = ("webhook_secret", "active", "mode")
VK_FIELDS = ("group_id", "secret_key", "confirmation", "active")


@dataclass(frozen=True)
class TelegramPost:
    bot_id: int
    secret: str  # as given in the request's header
    update_id: int
    data: dict[str, Any]


@dataclass(frozen=True)
class VkPost:
    community_id: int
    secret: str  # as given in the event (not kept)
    group_id: Any
    event_id: str
    kind: str
    data: dict[str, Any]  # without the secret


@dataclass(frozen=True)
class WhatsAppPost:
    number_id: int
    signature: str  # as given in the request's X-Hub-Signature-256 header
    body: bytes  # as it came: the signature is of these bytes
    data: Any


# --- reading, in the event loop -------------------------------------------------------


def read_telegram(bot_id: int, secret: str, body: bytes) -> TelegramPost | None:
    """The update, when it is an ordinary one; None leaves it to the view."""
    try:
        data = jsonin.loads(body)
    except jsonin.BadJson:
        return None
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not is_update_id(update_id):
        return None
    try:
        reading.message_of(data)
    except reading.BadUpdate:
        return None
    return TelegramPost(bot_id=bot_id, secret=secret, update_id=update_id, data=data)


def read_vk(community_id: int, body: bytes) -> VkPost | None:
    """The event, when it is an ordinary one (not a confirmation); None leaves it to
    the view."""
    try:
        data = jsonin.loads(body)
    except jsonin.BadJson:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return None
    kind = data["type"][:40]
    secret, event_id = data.pop("secret", None), data.get("event_id")
    if kind == "confirmation" or not isinstance(secret, str):
        return None
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        return None
    return VkPost(
        community_id=community_id,
        secret=secret,
        group_id=data.get("group_id"),
        event_id=event_id,
        kind=kind,
        data=data,
    )


def read_whatsapp(number_id: int, signature: str, body: bytes) -> WhatsAppPost | None:
    """The notification, when it is a WhatsApp one that reads; None leaves it to the view."""
    try:
        data = jsonin.loads(body)
        whatsapp_intake.changes(data)
    except (jsonin.BadJson, whatsapp_intake.BadPayload):
        return None
    return WhatsAppPost(number_id=number_id, signature=signature, body=body, data=data)


def is_update_id(value: Any) -> TypeGuard[int]:
    """An update_id the desk stores (a 64-bit column: a larger one would fail the
    INSERT, a 500, and with it the updates stored in the same statement)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


# --- checking and storing, in the writer's thread ---------------------------------------


def telegram_refusal(found: tuple[Any, ...] | None, given: str) -> bool:
    """Whether a Telegram request is refused for its secret (no bot, or not its one)."""
    expected = found[0] if found is not None else "-"
    return found is None or not hmac.compare_digest(given.encode(), expected.encode())


def vk_refusal(found: tuple[Any, ...] | None, given: str) -> bool:
    """Whether a VK event is refused for its secret (no community, or not its key)."""
    secret_key = found[1] if found is not None else ""
    return found is None or not hmac.compare_digest(given.encode(), (secret_key or "\0").encode())


def whatsapp_refusal(number: WhatsAppNumber | None, body: bytes, given: str) -> bool:
    """Whether a WhatsApp notification is refused for its signature (no number, or not
    signed with its app secret); without a number the comparison still runs, against a
    secret no one knows."""
    expected = signature_of(body, number.app_secret if number is not None else "-" * 32)
    return number is None or not hmac.compare_digest(given.encode(), expected.encode())


def signature_of(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def store_whatsapp(posts: list[WhatsAppPost]) -> list[dict[str, int] | str]:
    """Check and store a group of WhatsApp notifications (`GroupCommit`): each one's
    counts (`intake.keep_many`, one statement for the group), or WRONG_SIGNATURE."""
    numbers: dict[int, WhatsAppNumber | None] = {}
    for post in posts:
        if post.number_id not in numbers:  # read once per group
            numbers[post.number_id] = WhatsAppNumber.objects.filter(pk=post.number_id).first()
    accepted: list[tuple[int, tuple[WhatsAppNumber, Any]]] = []
    outcomes: list[dict[str, int] | str] = []
    for index, post in enumerate(posts):
        number = numbers[post.number_id]
        if whatsapp_refusal(number, post.body, post.signature):
            logger.warning("whatsapp webhook %s: refused, wrong signature", post.number_id)
            outcomes.append(WRONG_SIGNATURE)
            continue
        assert number is not None
        outcomes.append({})
        accepted.append((index, (number, post.data)))
    kept = whatsapp_intake.keep_many([body for _index, body in accepted])
    for (index, _body), counts in zip(accepted, kept, strict=True):
        outcomes[index] = counts
    return outcomes


Post = TelegramPost | VkPost


def store(
    posts: list[Post], known: dict[tuple[str, int], tuple[Any, ...] | None] | None = None
) -> list[str]:
    """Check and store a group of posts; one outcome per post, in order: QUEUED or
    DUPLICATE or IGNORED (Telegram), OK (VK), WRONG_SECRET, WRONG_GROUP.

    `known`: lookups already made (("telegram" | "vk", id) → the fields read). Stored
    updates are committed (one statement, in autocommit) before their drains are
    queued, so a drain that starts later sees them. When it raises, the writer tries
    each post of the group alone (`GroupCommit`)."""
    accounts = dict(known or {})
    outcomes: list[str] = []
    telegram: dict[Any, int] = {}  # (bot, update_id) → the first such post's index
    vk: dict[Any, int] = {}  # (community, event_id) → the same
    for index, post in enumerate(posts):
        if isinstance(post, TelegramPost):
            outcomes.append(_check_telegram(post, _account(accounts, "telegram", post.bot_id)))
            key: tuple[int, Any] = (post.bot_id, post.update_id)
            found = telegram
        else:
            outcomes.append(_check_vk(post, _account(accounts, "vk", post.community_id)))
            key, found = (post.community_id, post.event_id), vk
        if outcomes[-1] != telegram_intake.QUEUED:
            continue
        if key in found:  # sent twice within the group: stored once
            outcomes[-1] = telegram_intake.DUPLICATE
        else:
            found[key] = index
    if telegram:
        shards = {i: telegram_intake.shard(_data(posts[i])) for i in telegram.values()}
        new = insert_new(
            TelegramUpdate,
            [
                TelegramUpdate(bot_id=b, update_id=u, payload=_data(posts[i]), shard=shards[i])
                for (b, u), i in telegram.items()
            ],
            unique=("bot", "update_id"),
        )
        for key, index in telegram.items():
            if key not in new:
                outcomes[index] = telegram_intake.DUPLICATE
        # Queued for duplicates too: a post sent again because its drain could not be
        # queued the first time (its answer was 500) gets it queued now.
        drain.request_lanes(telegram_intake.DRAIN, drain_telegram_task, shards.values())
    if vk:
        shards = {i: vk_intake.shard(_data(posts[i])) for i in vk.values()}
        new = insert_new(
            VkEvent,
            [
                VkEvent(
                    community_id=c,
                    event_id=e,
                    kind=_kind(posts[i]),
                    payload=_data(posts[i]),
                    shard=shards[i],
                )
                for (c, e), i in vk.items()
            ],
            unique=("community", "event_id"),
        )
        for key in vk:
            if key not in new:
                logger.info("vk community %s: event %s arrived again", *key)
        drain.request_lanes(vk_intake.DRAIN, drain_vk_task, shards.values())
    return [
        OK if isinstance(p, VkPost) and o in _STORED else o
        for p, o in zip(posts, outcomes, strict=True)
    ]


_STORED = (telegram_intake.QUEUED, telegram_intake.DUPLICATE, telegram_intake.IGNORED)


def _data(post: Post) -> dict[str, Any]:
    return post.data


def _kind(post: Post) -> str:
    return post.kind if isinstance(post, VkPost) else ""


def _account(
    accounts: dict[tuple[str, int], tuple[Any, ...] | None], kind: str, pk: int
) -> tuple[Any, ...] | None:
    """The bot's or community's fields, read once per group (a fixed statement)."""
    key = (kind, pk)
    if key not in accounts:
        model, names = (
            (TelegramBot, TELEGRAM_FIELDS) if kind == "telegram" else (VkCommunity, VK_FIELDS)
        )
        accounts[key] = rows.values_of(model, pk, names)
    return accounts[key]


def _check_telegram(post: TelegramPost, found: tuple[Any, ...] | None) -> str:
    if telegram_refusal(found, post.secret):
        logger.warning("telegram webhook %s: refused, wrong secret", post.bot_id)
        return WRONG_SECRET
    assert found is not None
    _secret, active, mode = found
    if not active or mode != BotMode.WEBHOOK:
        logger.info(
            "telegram bot %s: update %s ignored, the bot is off or polls",
            post.bot_id,
            post.update_id,
        )
        return telegram_intake.IGNORED
    return telegram_intake.QUEUED


def _check_vk(post: VkPost, found: tuple[Any, ...] | None) -> str:
    if vk_refusal(found, post.secret):
        logger.warning("vk callback %s: refused, wrong secret", post.community_id)
        return WRONG_SECRET
    assert found is not None
    group, _secret_key, _confirmation, active = found
    if post.group_id != group:
        return WRONG_GROUP
    if not active:
        logger.info("vk community %s: event %s ignored, turned off", post.community_id, post.kind)
        return telegram_intake.IGNORED
    return telegram_intake.QUEUED


# --- answering, in the event loop -------------------------------------------------------

WRITER = lean.GroupCommit(store, limit=200)
WHATSAPP_WRITER = lean.GroupCommit(store_whatsapp, limit=200)


def _refusal(status: int, code: str, message: Any) -> lean.Answer:
    with translation.override(settings.LANGUAGE_CODE):
        return lean.Answer(status, lean.error_body(code, str(message)))


def too_large_answer(what: str) -> lean.Answer:
    with translation.override(settings.LANGUAGE_CODE):
        text = _("The event is too large.") if what == "vk" else _("The update is too large.")
        return lean.Answer(413, lean.error_body(errors.TOO_LARGE, text))


def telegram_answer(outcome: str) -> lean.Answer:
    if outcome == WRONG_SECRET:
        with translation.override(settings.LANGUAGE_CODE):
            return _refusal(403, errors.WRONG_SECRET, _("Wrong secret token."))
    return lean.Answer(200, orjson.dumps({"ok": True, "outcome": outcome}))


def vk_answer(outcome: str) -> lean.Answer:
    with translation.override(settings.LANGUAGE_CODE):
        if outcome == WRONG_SECRET:
            return _refusal(403, errors.WRONG_SECRET, _("Wrong secret key."))
        if outcome == WRONG_GROUP:
            return _refusal(400, errors.WRONG_GROUP, _("This address is for another community."))
    return lean.Answer(200, b"ok", "text/plain; charset=utf-8")


class TelegramHandler(lean.AsyncHandler):
    limit = MAX_BYTES

    async def answer(
        self, kwargs: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> lean.Answer | None:
        post = read_telegram(kwargs["bot_id"], headers.get(SECRET_HEADER, ""), body)
        if post is None:
            return None
        return telegram_answer(await WRITER.submit(post))

    def too_large(self) -> lean.Answer:
        return too_large_answer("telegram")


class VkHandler(lean.AsyncHandler):
    limit = MAX_BYTES

    async def answer(
        self, kwargs: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> lean.Answer | None:
        post = read_vk(kwargs["community_id"], body)
        if post is None:
            return None
        return vk_answer(await WRITER.submit(post))

    def too_large(self) -> lean.Answer:
        return too_large_answer("vk")


def whatsapp_answer(outcome: dict[str, int] | str) -> lean.Answer:
    if isinstance(outcome, str):  # WRONG_SIGNATURE
        with translation.override(settings.LANGUAGE_CODE):
            return _refusal(403, errors.WRONG_SIGNATURE, _("Wrong signature."))
    return lean.Answer(200, orjson.dumps({"ok": True, "outcomes": outcome}))


class WhatsAppHandler(lean.AsyncHandler):
    limit = MAX_BYTES

    async def answer(
        self, kwargs: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> lean.Answer | None:
        post = read_whatsapp(kwargs["number_id"], headers.get(SIGNATURE_HEADER, ""), body)
        if post is None:
            return None
        return whatsapp_answer(await WHATSAPP_WRITER.submit(post))

    def too_large(self) -> lean.Answer:
        return too_large_answer("whatsapp")
