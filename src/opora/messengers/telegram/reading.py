"""A Telegram update read as the plain JSON it is: the parts the desk takes in.

The webhook (to refuse what cannot be read) and the drain (to take it in) read every
update. python-telegram-bot's object model builds an object for every part of it
(the chat, the sender, each photo size, every entity) and cost the drain three times
VK's CPU per message, whose events are read as plain dicts; the library stays the
client for sending and fetching files. What is read here is what `Update.de_json`
required of the same parts: a message without its id, date or chat, or a sender
without an id, is refused (`BadUpdate`) as the library refused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opora.tickets.attachments import clean_filename


class BadUpdate(ValueError):
    """An update whose message the desk cannot read."""


@dataclass(frozen=True)
class FileRef:
    file_id: str
    name: str
    content_type: str
    size: int | None


@dataclass(frozen=True)
class Person:
    id: int
    is_bot: bool
    first_name: str
    last_name: str
    username: str
    language_code: str


@dataclass(frozen=True)
class Message:
    message_id: int
    chat_id: int
    chat_type: str
    sender: Person | None
    text: str  # the text, or a file's caption
    files: tuple[FileRef, ...]


def _int(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise BadUpdate(f"{what} is not a number")


def _dict(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise BadUpdate(f"{what} is not an object")


def _str(value: Any, what: str, *, required: bool = False) -> str:
    if isinstance(value, str):
        return value
    if value is None and not required:
        return ""
    raise BadUpdate(f"{what} is not a string")


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def message_of(update: dict[str, Any]) -> Message | None:
    """The update's message (None when it brings none: another kind of update);
    `BadUpdate` when the message is there but cannot be read."""
    found = update.get("message")
    if found is None:
        return None
    message = _dict(found, "message")
    number = _int(message.get("message_id"), "message_id")
    _int(message.get("date"), "date")
    chat = _dict(message.get("chat"), "chat")
    sender = message.get("from")
    text = _str(message.get("text"), "text") or _str(message.get("caption"), "caption")
    return Message(
        message_id=number,
        chat_id=_int(chat.get("id"), "chat.id"),
        chat_type=_str(chat.get("type"), "chat.type", required=True),
        sender=_person(sender) if sender is not None else None,
        text=text,
        files=tuple(_files(message)),
    )


def _person(value: Any) -> Person:
    person = _dict(value, "from")
    is_bot = person.get("is_bot")
    if not isinstance(is_bot, bool):
        raise BadUpdate("from.is_bot is not true or false")
    return Person(
        id=_int(person.get("id"), "from.id"),
        is_bot=is_bot,
        first_name=_str(person.get("first_name"), "from.first_name", required=True),
        last_name=_str(person.get("last_name"), "from.last_name"),
        username=_str(person.get("username"), "from.username"),
        language_code=_str(person.get("language_code"), "from.language_code"),
    )


def _ids(item: Any, what: str) -> tuple[dict[str, Any], str, str]:
    data = _dict(item, what)
    return (
        data,
        _str(data.get("file_id"), f"{what}.file_id", required=True),
        _str(data.get("file_unique_id"), f"{what}.file_unique_id", required=True),
    )


def _files(message: dict[str, Any]) -> list[FileRef]:
    """The largest size of a photo, a document, a voice message."""
    found = []
    photo = message.get("photo")
    if photo:
        if not isinstance(photo, list):
            raise BadUpdate("photo is not a list")
        sizes = []
        for item in photo:
            data, file_id, unique = _ids(item, "photo")
            area = _int(data.get("width"), "photo.width") * _int(data.get("height"), "photo.height")
            sizes.append((area, _size(data.get("file_size")) or 0, file_id, unique, data))
        _area, _bytes, file_id, unique, data = max(sizes, key=lambda s: (s[0], s[1]))
        found.append(
            FileRef(file_id, f"photo-{unique}.jpg", "image/jpeg", _size(data.get("file_size")))
        )
    if message.get("document") is not None:
        data, file_id, unique = _ids(message["document"], "document")
        found.append(
            FileRef(
                file_id,
                clean_filename(_str(data.get("file_name"), "document.file_name"))
                if data.get("file_name")
                else clean_filename(f"document-{unique}"),
                _str(data.get("mime_type"), "document.mime_type"),
                _size(data.get("file_size")),
            )
        )
    if message.get("voice") is not None:
        data, file_id, unique = _ids(message["voice"], "voice")
        found.append(
            FileRef(
                file_id,
                f"voice-{unique}.ogg",
                _str(data.get("mime_type"), "voice.mime_type") or "audio/ogg",
                _size(data.get("file_size")),
            )
        )
    return found
