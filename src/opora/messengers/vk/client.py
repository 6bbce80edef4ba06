"""The VK API, spoken by vkbottle against the community's API server.

vkbottle builds every method's address from its `API_URL` (`<server>/method/<name>`);
the subclass `_api_class` makes sets it from the community's `api_base`:
https://api.vk.com, or the tests' local server. Every call opens a short session (the
library is asynchronous; the desk's jobs and views are not) and closes it. The
library's own answer to a server that answers something other than JSON is to ask
again, forever; here such an answer fails the call at once (`FailFast`), and the outbox
retries it with backoff.

The token travels in each request's query string, so nothing here logs a URL, and
every error text goes through `describe`, which removes the token before it is stored
or shown.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from django import db

from opora.messengers.models import VkCommunity

if TYPE_CHECKING:
    from vkbottle import API, AiohttpClient

T = TypeVar("T")

# Seconds one call may take; a slow server is a failed attempt, retried later.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
# VK's limits: a message's text, a comment's text, attachments on one message.
MAX_TEXT = 4096
MAX_COMMENT = 2048
MAX_ATTACHMENTS = 10
# VK's errors that mean "this person does not take the community's messages".
CANNOT_MESSAGE = (
    901,  # Can't send messages for user without permission
    902,  # Can't send messages to this user due to their privacy settings
)
# Hosts VK serves attachments from; files are fetched from these (or the API server's).
FILE_HOSTS = ("vk.com", "vk.ru", "vk.me", "userapi.com", "vkuserphoto.ru", "vk-cdn.net")


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to call: the community's token, API server and version."""

    token: str
    api_base: str
    api_version: str

    @classmethod
    def of(cls, community: VkCommunity) -> Endpoint:
        return cls(
            token=community.token,
            api_base=community.api_base,
            api_version=community.api_version,
        )

    def __repr__(self) -> str:  # never the token, whatever prints this
        return f"Endpoint(api_base={self.api_base!r})"


class ServerError(Exception):
    """The server answered something that is not the API's JSON (a 5xx page)."""


class FileTooLarge(Exception):
    """A file the desk does not take (over the attachment limit)."""


@cache
def _api_class() -> Callable[[Endpoint, AiohttpClient], API]:
    """vkbottle's API, with the method address taken from the community's server. The
    library (some three seconds to import) is loaded on the first call, not at start."""
    from vkbottle import API
    from vkbottle.api.request_rescheduler import ABCRequestRescheduler

    class FailFast(ABCRequestRescheduler):
        """Ask once: an answer that is not JSON is a failed call, retried later."""

        async def reschedule(
            self, ctx_api: Any, method: str, data: dict[str, Any], recent_response: Any
        ) -> dict[str, Any]:
            raise ServerError(f"{method}: the server did not answer with JSON")

    class DeskAPI(API):
        def __init__(self, endpoint: Endpoint, http_client: AiohttpClient) -> None:
            super().__init__(
                endpoint.token, http_client=http_client, request_rescheduler=FailFast()
            )
            self.API_URL = f"{endpoint.api_base.rstrip('/')}/method/"
            self.API_VERSION = endpoint.api_version

    return DeskAPI


def describe(exc: BaseException, token: str) -> str:
    """What went wrong, in words, without the token."""
    code = error_code(exc)
    if code is not None:
        text = f"VK error {code}: {getattr(exc, 'error_msg', exc)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    if token:
        text = text.replace(token, "***")
    return text[:2000]


def error_code(exc: BaseException) -> int | None:
    """The VK error's code; None for any other failure."""
    if "vkbottle" not in sys.modules:
        return None  # nothing was asked of VK yet
    from vkbottle import VKAPIError

    return exc.code if isinstance(exc, VKAPIError) else None


async def _open(endpoint: Endpoint) -> tuple[API, AiohttpClient]:
    import aiohttp
    from vkbottle import AiohttpClient

    http = AiohttpClient(timeout=aiohttp.ClientTimeout(total=READ_TIMEOUT, connect=CONNECT_TIMEOUT))
    return _api_class()(endpoint, http), http


async def _close(http: AiohttpClient) -> None:
    await http.close()
    # The client registers its own clean-up at exit; this one is closed already.
    atexit.unregister(http.close_connector)


async def _session(endpoint: Endpoint, work: Callable[[API], Awaitable[T]]) -> T:
    api, http = await _open(endpoint)
    try:
        return await work(api)
    finally:
        await _close(http)


class _Kept(threading.local):
    loop: asyncio.AbstractEventLoop | None = None
    open: dict[Endpoint, tuple[API, AiohttpClient]]

    def __init__(self) -> None:
        self.open = {}


_kept = _Kept()


@contextmanager
def sessions() -> Iterator[None]:
    """Within it, the calls to one community's server share one session (a job
    sending or fetching many things: a session costs more than a call)."""
    if _kept.loop is not None:
        yield  # an outer one keeps them
        return
    loop = _kept.loop = asyncio.new_event_loop()
    try:
        yield
    finally:
        opened, _kept.open, _kept.loop = list(_kept.open.values()), {}, None
        try:
            for _api, http in opened:
                loop.run_until_complete(_close(http))
        finally:
            loop.close()


def call(endpoint: Endpoint, work: Callable[[API], Awaitable[T]]) -> T:
    """Run `work` with an API talking to `endpoint`, from synchronous code."""
    loop = _kept.loop
    if loop is None:
        return async_to_sync(_session)(endpoint, work)
    if endpoint not in _kept.open:
        _kept.open[endpoint] = loop.run_until_complete(_open(endpoint))
    return loop.run_until_complete(work(_kept.open[endpoint][0]))


async def _method(api: API, name: str, **params: Any) -> Any:
    answer = await api.request(name, {k: v for k, v in params.items() if v is not None})
    return answer["response"]


def method(endpoint: Endpoint, name: str, **params: Any) -> Any:
    """One API method's `response`; a VK error raises `VKAPIError[code]`."""
    return call(endpoint, lambda api: _method(api, name, **params))


def community_name(endpoint: Endpoint, group_id: int) -> str:
    """groups.getById: the community's name (the token must belong to it)."""
    found = method(endpoint, "groups.getById", group_id=group_id)
    groups = found.get("groups", []) if isinstance(found, dict) else found
    if not groups:
        raise ServerError("groups.getById: no such community")
    return str(groups[0].get("name") or groups[0].get("screen_name") or group_id)


MAX_USER_IDS = 1000  # users.get takes this many ids a call


def person(endpoint: Endpoint, user_id: int) -> dict[str, Any]:
    """users.get: the person's first and last name ({} when VK does not say)."""
    found = method(endpoint, "users.get", user_ids=user_id)
    return found[0] if isinstance(found, list) and found and isinstance(found[0], dict) else {}


def people(endpoint: Endpoint, user_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """users.get for many people at once (VK takes up to `MAX_USER_IDS` a call): each
    one's first and last name, by id (left out when VK does not say)."""
    found: dict[int, dict[str, Any]] = {}
    ids = list(dict.fromkeys(user_ids))
    for start in range(0, len(ids), MAX_USER_IDS):
        chunk = ids[start : start + MAX_USER_IDS]
        answer = method(endpoint, "users.get", user_ids=",".join(str(i) for i in chunk))
        for item in answer if isinstance(answer, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                found[item["id"]] = item
    return found


def post_text(endpoint: Endpoint, owner_id: int, post_id: int) -> str:
    """wall.getById: the text of the post a comment was written under."""
    found = method(endpoint, "wall.getById", posts=f"{owner_id}_{post_id}")
    items = found.get("items", []) if isinstance(found, dict) else found
    return str(items[0].get("text") or "") if items else ""


def allowed_file_url(url: str, api_base: str) -> bool:
    """Files come from VK's hosts (https), or from the API server itself."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.username:
        return False
    if host == (urlsplit(api_base).hostname or "").lower():
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and any(
        host == known or host.endswith(f".{known}") for known in FILE_HOSTS
    )


def download(endpoint: Endpoint, urls: Sequence[str], *, limit: int) -> list[bytes]:
    """The files' bytes; `FileTooLarge` as soon as one is over `limit` bytes."""

    async def fetch(api: API) -> list[bytes]:
        out = []
        for url in urls:
            http = cast("AiohttpClient", api.http_client)
            async with http.request(url, "GET", max_redirects=3) as response:
                if response.status != 200:
                    raise ServerError(f"a file answered HTTP {response.status}")
                if (response.content_length or 0) > limit:
                    raise FileTooLarge(url)
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > limit:
                        raise FileTooLarge(url)
            out.append(bytes(data))
        return out

    return call(endpoint, fetch)


@dataclass(frozen=True)
class OutgoingFile:
    name: str
    data: bytes
    photo: bool  # uploaded as a message photo (shown inline), else as a document


def random_id(key: str) -> int:
    """messages.send's random_id: the same for every attempt of one piece, so VK sends
    it once however often the outbox tries (a signed 32-bit number)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") & 0x7FFFFFFF


async def _upload(api: API, peer_id: int, files: Sequence[OutgoingFile]) -> list[str]:
    """Each file through photos/docs.getMessagesUploadServer and the save method:
    the attachment strings messages.send takes."""
    from vkbottle import DocMessagesUploader, PhotoMessageUploader

    found = []
    for f in files:
        if f.photo:
            found.append(await PhotoMessageUploader(api).upload(f.data, peer_id=peer_id))
        else:
            found.append(
                await DocMessagesUploader(api).upload(f.data, peer_id=peer_id, title=f.name)
            )
    return found


def send_message(
    endpoint: Endpoint,
    peer_id: int,
    texts: Sequence[str],
    files: Sequence[OutgoingFile],
    *,
    key: str,
) -> list[int]:
    """messages.send: the texts in order, the files with the last one (ten at most to
    a message); the ids of the messages sent. `key` names this delivery for random_id."""

    async def go(api: API) -> list[int]:
        attachments = await _upload(api, peer_id, files)
        pieces = list(texts) or [""]
        groups = [
            attachments[i : i + MAX_ATTACHMENTS]
            for i in range(0, len(attachments), MAX_ATTACHMENTS)
        ]
        ids = []
        for index, text in enumerate(pieces):
            last = index == len(pieces) - 1
            batches = groups if last and groups else [[]]
            for n, batch in enumerate(batches):
                sent = await _method(
                    api,
                    "messages.send",
                    peer_id=peer_id,
                    message=text if n == 0 else None,
                    attachment=",".join(batch) or None,
                    random_id=random_id(f"{key}:{index}:{n}"),
                )
                ids.append(int(sent) if isinstance(sent, int) else 0)
        return ids

    return call(endpoint, go)


def comment(
    endpoint: Endpoint,
    *,
    group_id: int,
    post_id: int,
    reply_to: int | None,
    texts: Sequence[str],
    key: str,
) -> list[int]:
    """wall.createComment as the community, under the post, as a reply to the person's
    comment; `guid` makes a repeated attempt of one piece a no-op."""

    async def go(api: API) -> list[int]:
        ids = []
        for index, text in enumerate(texts):
            sent = await _method(
                api,
                "wall.createComment",
                owner_id=-group_id,
                post_id=post_id,
                from_group=group_id,
                message=text,
                reply_to_comment=reply_to,
                guid=f"{key}:{index}"[:64],
            )
            ids.append(int(sent.get("comment_id", 0)) if isinstance(sent, dict) else 0)
        return ids

    return call(endpoint, go)


def warm_up_with_worker(events: list[Any]) -> None:
    """A job worker starts on a desk with an active VK community: import the VK client
    library now, in a thread beside the jobs. Imported on the first VK batch instead,
    it cost that batch over a second of CPU, while a burst of messages waited."""

    def warm() -> None:
        try:
            if VkCommunity.objects.filter(active=True).exists():
                import vkbottle  # noqa: F401
        except Exception:  # a warm-up only: the first batch imports it anyway
            logging.getLogger("opora.messengers").exception("vk: warming up failed")
        finally:
            db.connections.close_all()

    threading.Thread(target=warm, name="opora-vk-warm-up", daemon=True).start()
