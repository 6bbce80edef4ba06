"""VK test helpers: the local VK API server, a community pointed at it, Callback API
events as VK sends them, and the callback called through the whole HTTP stack.
(made fixtures of the directory by one import line in its conftest)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.messengers.models import VkCommunity
from opora.messengers.vk.actions import create_community
from tests.messengers.vk_server import CONFIRMATION, GROUP_ID, SECRET, TOKEN, VkServer

_event_ids = itertools.count(1)
_message_ids = itertools.count(9000)
_comment_ids = itertools.count(300)
CUSTOMER_ID = 55501
POST_ID = 77


@pytest.fixture
def vk_api() -> Iterator[VkServer]:
    server = VkServer().start()
    yield server
    server.stop()


@pytest.fixture
def vk_community(ada: User, support: Team, vk_api: VkServer) -> VkCommunity:
    return create_community(
        by=ada,
        values={
            "name": "Acme VK",
            "group_id": GROUP_ID,
            "token": TOKEN,
            "secret_key": SECRET,
            "confirmation": CONFIRMATION,
            "api_base": vk_api.url,
            "team": support.pk,
        },
    )


def event(kind: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """A Callback API event, as VK posts it (API 5.199)."""
    return {
        "type": kind,
        "event_id": event_id or f"ev{next(_event_ids):08x}",
        "v": "5.199",
        "object": obj,
        "group_id": GROUP_ID,
        "secret": SECRET,
    }


def message_event(
    text: str = "Hello",
    *,
    user_id: int = CUSTOMER_ID,
    attachments: list[dict[str, Any]] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    message = {
        "date": int(time.time()),
        "from_id": user_id,
        "id": next(_message_ids),
        "out": 0,
        "peer_id": user_id,
        "text": text,
        "conversation_message_id": 1,
        "attachments": attachments or [],
        "important": False,
        "is_hidden": False,
    }
    client_info = {"button_actions": ["text"], "keyboard": True, "lang_id": 0}
    return event("message_new", {"message": message, "client_info": client_info}, event_id=event_id)


def comment_event(
    text: str = "Does it ship to Kazan?",
    *,
    user_id: int = CUSTOMER_ID,
    post_id: int = POST_ID,
    comment_id: int | None = None,
    attachments: list[dict[str, Any]] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    comment = {
        "id": comment_id if comment_id is not None else next(_comment_ids),
        "from_id": user_id,
        "date": int(time.time()),
        "text": text,
        "post_owner_id": -GROUP_ID,
        "post_id": post_id,
        "parents_stack": [],
        "attachments": attachments or [],
    }
    return event("wall_reply_new", comment, event_id=event_id)


@pytest.fixture
def post_event(db: None) -> Callable[..., Any]:
    """POST an event to the community's callback address, as VK does."""

    def post(community: VkCommunity, data: Any) -> Any:
        body = data if isinstance(data, bytes | str) else json.dumps(data)
        return Client().post(
            f"/channels/vk/{community.pk}/callback", body, content_type="application/json"
        )

    return post
