"""A Telegram update read as plain JSON: what the desk takes from it, and what it
refuses as unreadable (what python-telegram-bot's `Update.de_json` refused)."""

from __future__ import annotations

from typing import Any

import pytest

from opora.messengers.telegram.reading import BadUpdate, FileRef, message_of
from tests.messengers.conftest import update


def test_a_text_message_is_read_with_its_sender() -> None:
    message = message_of(update("Hello", user_id=77, language="ru-RU"))
    assert message is not None
    assert (message.chat_id, message.chat_type, message.text) == (77, "private", "Hello")
    assert message.sender is not None
    assert message.sender.id == 77
    assert (message.sender.first_name, message.sender.last_name) == ("Pavel", "Durov")
    assert (message.sender.username, message.sender.language_code) == ("pavel_d", "ru-RU")
    assert message.files == ()


def test_the_largest_photo_a_document_and_a_voice_message_are_its_files() -> None:
    sizes = [
        {"file_id": "s", "file_unique_id": "us", "width": 90, "height": 60, "file_size": 900},
        {"file_id": "l", "file_unique_id": "ul", "width": 1280, "height": 960},
        {"file_id": "m", "file_unique_id": "um", "width": 320, "height": 240},
    ]
    data = update(
        None,
        caption="see the photo",
        photo=sizes,
        document={"file_id": "d", "file_unique_id": "ud", "file_name": "../etc/report.pdf",
                  "mime_type": "application/pdf", "file_size": 1234},
        voice={"file_id": "v", "file_unique_id": "uv", "duration": 3},
    )  # fmt: skip
    message = message_of(data)
    assert message is not None
    assert message.text == "see the photo"
    photo, document, voice = message.files
    assert photo == FileRef("l", "photo-ul.jpg", "image/jpeg", None)
    assert document.file_id == "d"
    assert "/" not in document.name and document.name.endswith("report.pdf")
    assert (document.content_type, document.size) == ("application/pdf", 1234)
    assert voice == FileRef("v", "voice-uv.ogg", "audio/ogg", None)


def test_an_update_of_another_kind_brings_no_message() -> None:
    assert message_of({"update_id": 1, "edited_message": {"text": "x"}}) is None
    assert message_of({"update_id": 1, "something_new": {"a": 1}}) is None


@pytest.mark.parametrize(
    "broken",
    [
        {"message": "text"},
        {"message": {"text": "x"}},
        {"message": {"message_id": 1, "date": 1, "chat": {"id": "1", "type": "private"}}},
        {"message": {"message_id": 1, "date": 1, "chat": {"id": 1}}},
        {"message": {"message_id": True, "date": 1, "chat": {"id": 1, "type": "private"}}},
        {"from": {"id": 1, "first_name": "A"}},
        {"from": {"id": 1, "is_bot": False}},
        {"photo": [{"file_id": "p", "width": 1, "height": 1}]},
        {"photo": {"file_id": "p"}},
        {"document": {"file_unique_id": "d"}},
        {"voice": "v"},
    ],
)
def test_an_unreadable_message_is_refused(broken: dict[str, Any]) -> None:
    data = update("Hello")
    if "message" in broken:
        data["message"] = broken["message"]
    else:
        data["message"] |= broken
    with pytest.raises(BadUpdate):
        message_of(data)
