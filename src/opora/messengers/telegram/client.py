"""The Telegram Bot API, spoken by python-telegram-bot against the bot's own server.

Every call opens a short session (the library is asynchronous; the desk's jobs and
views are not) against `api_base`: api.telegram.org, a self-hosted Bot API server, or
the tests' local one. The token is part of every URL the library builds, so nothing
here logs a URL, and every error text is passed through `describe`, which removes the
token before it is stored or shown.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import telegram
from asgiref.sync import async_to_sync
from telegram.request import HTTPXRequest

from opora.messengers import tls
from opora.messengers.models import TelegramBot

T = TypeVar("T")

# Seconds one call may take; a slow provider is a failed attempt, retried later.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 20.0
# Telegram's own limits: a message's text, a caption.
MAX_TEXT = 4096


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to call: the bot's token and its Bot API server."""

    token: str
    api_base: str

    @classmethod
    def of(cls, bot: TelegramBot) -> Endpoint:
        return cls(token=bot.token, api_base=bot.api_base)

    def __repr__(self) -> str:  # never the token, whatever prints this
        return f"Endpoint(api_base={self.api_base!r})"


class FileTooLarge(Exception):
    """A file the desk does not take (over the attachment limit)."""


def describe(exc: BaseException, token: str) -> str:
    """What went wrong, in words, without the token."""
    text = f"{type(exc).__name__}: {exc}"
    if token:
        text = text.replace(token, "***")
        # The bot's id (the token's part before ":") is public; the rest is not.
        secret = token.partition(":")[2]
        if secret:
            text = text.replace(secret, "***")
    return text[:2000]


def _request() -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=2,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        write_timeout=READ_TIMEOUT,
        pool_timeout=CONNECT_TIMEOUT,
        httpx_kwargs={"verify": tls.context()},
    )


async def _open(endpoint: Endpoint) -> tuple[telegram.Bot, tuple[HTTPXRequest, ...]]:
    base = endpoint.api_base.rstrip("/")
    requests = (_request(), _request())
    bot = telegram.Bot(
        endpoint.token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=requests[0],
        get_updates_request=requests[1],
    )
    await asyncio.gather(*(r.initialize() for r in requests))
    return bot, requests


async def _close(requests: tuple[HTTPXRequest, ...]) -> None:
    await asyncio.gather(*(r.shutdown() for r in requests))


async def _session(endpoint: Endpoint, work: Callable[[telegram.Bot], Awaitable[T]]) -> T:
    bot, requests = await _open(endpoint)
    try:
        return await work(bot)
    finally:
        await _close(requests)


class _Kept(threading.local):
    loop: asyncio.AbstractEventLoop | None = None
    open: dict[Endpoint, tuple[telegram.Bot, tuple[HTTPXRequest, ...]]]

    def __init__(self) -> None:
        self.open = {}


_kept = _Kept()


@contextmanager
def sessions() -> Iterator[None]:
    """Within it, the calls to one bot's server share one session (a job sending or
    fetching many things: a session costs more than a call); closed at the end."""
    if _kept.loop is not None:
        yield  # an outer one keeps them
        return
    loop = _kept.loop = asyncio.new_event_loop()
    try:
        yield
    finally:
        opened, _kept.open, _kept.loop = list(_kept.open.values()), {}, None
        try:
            for _bot, requests in opened:
                loop.run_until_complete(_close(requests))
        finally:
            loop.close()


def call(endpoint: Endpoint, work: Callable[[telegram.Bot], Awaitable[T]]) -> T:
    """Run `work` with a bot talking to `endpoint`, from synchronous code."""
    loop = _kept.loop
    if loop is None:
        return async_to_sync(_session)(endpoint, work)
    if endpoint not in _kept.open:
        _kept.open[endpoint] = loop.run_until_complete(_open(endpoint))
    return loop.run_until_complete(work(_kept.open[endpoint][0]))


def parse_update(data: dict[str, object]) -> telegram.Update:
    """An Update as the library reads it (no bot attached: files are fetched by id)."""
    return telegram.Update.de_json(data, None)


def get_me(endpoint: Endpoint) -> telegram.User:
    return call(endpoint, lambda bot: bot.get_me())


def set_webhook(endpoint: Endpoint, url: str, secret: str) -> bool:
    return call(
        endpoint,
        lambda bot: bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=["message"],
            drop_pending_updates=False,
        ),
    )


def delete_webhook(endpoint: Endpoint) -> bool:
    return call(endpoint, lambda bot: bot.delete_webhook())


def get_updates(endpoint: Endpoint, *, offset: int, limit: int) -> tuple[telegram.Update, ...]:
    """Updates waiting since `offset`, without waiting for new ones (a short poll)."""
    return call(
        endpoint,
        lambda bot: bot.get_updates(
            offset=offset or None, limit=limit, timeout=0, allowed_updates=["message"]
        ),
    )


def download(endpoint: Endpoint, file_ids: Sequence[str], *, limit: int) -> list[bytes]:
    """The files' bytes, through getFile and the server's file address; `FileTooLarge`
    before downloading one the server says is over `limit` bytes."""

    async def fetch(bot: telegram.Bot) -> list[bytes]:
        out = []
        for file_id in file_ids:
            found = await bot.get_file(file_id)
            if found.file_size is not None and found.file_size > limit:
                raise FileTooLarge(file_id)
            data = bytes(await found.download_as_bytearray())
            if len(data) > limit:
                raise FileTooLarge(file_id)
            out.append(data)
        return out

    return call(endpoint, fetch)


@dataclass(frozen=True)
class OutgoingFile:
    name: str
    data: bytes
    photo: bool  # sent with sendPhoto (shown inline), else sendDocument


def send(
    endpoint: Endpoint, chat_id: str, texts: Sequence[str], files: Sequence[OutgoingFile]
) -> list[int]:
    """Send the texts, then the files, in order; the ids of the messages sent."""

    async def go(bot: telegram.Bot) -> list[int]:
        ids = []
        for text in texts:
            sent = await bot.send_message(chat_id=chat_id, text=text)
            ids.append(sent.message_id)
        for f in files:
            upload = telegram.InputFile(f.data, filename=f.name)
            if f.photo:
                sent = await bot.send_photo(chat_id=chat_id, photo=upload)
            else:
                sent = await bot.send_document(chat_id=chat_id, document=upload)
            ids.append(sent.message_id)
        return ids

    return call(endpoint, go)
