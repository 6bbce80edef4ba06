"""The WhatsApp Business Cloud API, spoken by pywa against the number's Graph API server.

pywa builds every address from https://graph.facebook.com; the desk needs its own
(the tests' local server, a proxy), so `_GraphAPI` (pywa's extension point for its
API class) keeps the server the session was made for and adds only the version. Every
call opens a short synchronous session. The access token travels in the Authorization
header, never in a URL; error texts still pass through `describe`, which cuts the token
out before anything is stored or shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pywa.api import GraphAPI
from pywa.client import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types.templates import BodyText, TemplateLanguage

from opora.messengers import tls
from opora.messengers.models import WhatsAppNumber

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
# The Cloud API's limit of a text message's body.
MAX_TEXT = 4096
# Error codes that trying again will not change.
REENGAGEMENT = 131047  # more than 24 hours since the person last wrote
UNDELIVERABLE = 131026  # not a WhatsApp number, an old app, or the person blocked us


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to call: the number's id, its token, its Graph API server."""

    phone_number_id: str
    token: str
    api_base: str
    api_version: str

    @classmethod
    def of(cls, number: WhatsAppNumber) -> Endpoint:
        return cls(
            phone_number_id=number.phone_number_id,
            token=number.access_token,
            api_base=number.api_base,
            api_version=number.api_version,
        )

    def __repr__(self) -> str:  # never the token, whatever prints this
        return f"Endpoint(phone_number_id={self.phone_number_id!r}, api_base={self.api_base!r})"


class FileTooLarge(Exception):
    """A file the desk does not take (over the attachment limit)."""


class _GraphAPI(GraphAPI):
    """pywa's Graph API calls, sent to the server the session was made for."""

    def __init__(self, token: str, session: httpx.Client, api_version: float) -> None:
        server = str(session.base_url).rstrip("/")
        super().__init__(token=token, session=session, api_version=api_version)
        session.base_url = f"{server}/v{api_version}"


class DeskWhatsApp(WhatsApp):
    """pywa's client, on the desk's Graph API server."""

    _api_cls = _GraphAPI


def describe(exc: BaseException, token: str) -> str:
    """What went wrong, in words, without the token."""
    if isinstance(exc, WhatsAppError):
        text = f"WhatsApp error {exc.code}: {exc.message}"
        if exc.details:
            text = f"{text} ({exc.details})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    if token:
        text = text.replace(token, "***")
    return text[:2000]


def error_code(exc: BaseException) -> int | None:
    return exc.code if isinstance(exc, WhatsAppError) else None


def http_status(exc: BaseException) -> int:
    """The HTTP status the Graph API answered with the error (0: none)."""
    response = exc.raw_response if isinstance(exc, WhatsAppError) else None
    return response.status_code if response is not None else 0


class session:
    """A client talking to `endpoint`, its connections closed afterwards.

    A class, not a generator: pywa's errors are frozen dataclasses, and a generator
    context manager would try to set the traceback of one passing through."""

    def __init__(self, endpoint: Endpoint) -> None:
        timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        self.http = httpx.Client(
            base_url=endpoint.api_base.rstrip("/"), timeout=timeout, verify=tls.context()
        )
        self.endpoint = endpoint

    def __enter__(self) -> DeskWhatsApp:
        return DeskWhatsApp(
            phone_id=self.endpoint.phone_number_id,
            token=self.endpoint.token,
            session=self.http,
            api_version=self.endpoint.api_version,
            validate_updates=False,
            filter_updates=False,
        )

    def __exit__(self, *exc: object) -> None:
        self.http.close()


def display_name(endpoint: Endpoint) -> str:
    """The number as WhatsApp shows it: its verified name and the number."""
    with session(endpoint) as wa:
        found = wa.get_business_phone_number(phone_id=endpoint.phone_number_id)
    name = (found.verified_name or "").strip()
    number = (found.display_phone_number or "").strip()
    return f"{name} ({number})" if name and number else name or number


def download(endpoint: Endpoint, media_ids: Sequence[str], *, limit: int) -> list[bytes]:
    """Each media's bytes: its id → a short-lived URL → the download with the token.
    `FileTooLarge` before (the size the API names) or while (the bytes) going over
    `limit`."""
    out = []
    with session(endpoint) as wa:
        for media_id in media_ids:
            found = wa.get_media_url(media_id)
            if found.file_size is not None and int(found.file_size) > limit:
                raise FileTooLarge(media_id)
            data = bytearray()
            for chunk in wa.stream_media(found.url):
                data.extend(chunk)
                if len(data) > limit:
                    raise FileTooLarge(media_id)
            out.append(bytes(data))
    return out


@dataclass(frozen=True)
class OutgoingFile:
    name: str
    data: bytes
    content_type: str


# How a file goes out: images and videos are shown in the chat, voice notes play,
# anything else is a document with its name.
IMAGE_TYPES = ("image/jpeg", "image/png")
VIDEO_TYPES = ("video/mp4", "video/3gpp")
AUDIO_TYPES = ("audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg")
MAX_IMAGE = 5 * 1024 * 1024
MAX_MEDIA = 16 * 1024 * 1024


def _kind(f: OutgoingFile) -> str:
    size = len(f.data)
    if f.content_type in IMAGE_TYPES and size <= MAX_IMAGE:
        return "image"
    if f.content_type in VIDEO_TYPES and size <= MAX_MEDIA:
        return "video"
    if f.content_type in AUDIO_TYPES and size <= MAX_MEDIA:
        return "audio"
    return "document"


def send(
    endpoint: Endpoint, to: str, texts: Sequence[str], files: Sequence[OutgoingFile]
) -> list[str]:
    """Send the texts, then each file (uploaded first, then sent by its media id); the
    ids of the messages sent."""
    ids: list[str] = []
    with session(endpoint) as wa:
        ids.extend(wa.send_message(to=to, text=text).id for text in texts)
        for f in files:
            media = wa.upload_media(
                media=f.data,
                mime_type=f.content_type or "application/octet-stream",
                filename=f.name,
            )
            kind = _kind(f)
            if kind == "image":
                sent: Any = wa.send_image(to=to, image=media)
            elif kind == "video":
                sent = wa.send_video(to=to, video=media)
            elif kind == "audio":
                sent = wa.send_audio(to=to, audio=media)
            else:
                sent = wa.send_document(to=to, document=media, filename=f.name)
            ids.append(sent.id)
    return ids


LANGUAGES = frozenset(str(member.value) for member in TemplateLanguage)


def language_known(code: str) -> bool:
    """A language code WhatsApp has templates in (en_US, ru …)."""
    return code in LANGUAGES


def send_template(
    endpoint: Endpoint, to: str, name: str, language: str, params: Sequence[str]
) -> str:
    """Send an approved template with its body's positional parameters; its id."""
    with session(endpoint) as wa:
        sent = wa.send_template(
            to=to,
            name=name,
            language=TemplateLanguage(language),
            # params() is called on the class, as pywa's documentation shows.
            params=[BodyText.params(*params)] if params else None,  # type: ignore[arg-type]
        )
    return str(sent.id)
