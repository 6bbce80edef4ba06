# ruff: noqa: RUF001
"""Remote tools for the tests: RustDesk (its own link, with a secret for its reports)
and AnyDesk as a link template with instructions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opora.accounts.models import User
from opora.remote import actions
from opora.remote.models import RemoteTool
from opora.tickets.models import Channel, Ticket

SECRET = "s3cret-for-the-rustdesk-hooks"


@pytest.fixture
def rustdesk(ada: User) -> RemoteTool:
    return actions.create_tool(
        by=ada,
        values={
            "name": "RustDesk",
            "kind": "rustdesk",
            "instructions_en": "No RustDesk yet? Download it at https://rustdesk.com/.",
            "instructions_ru": "Нет RustDesk? Скачайте его на https://rustdesk.com/.",
            "secret": SECRET,
        },
    )


@pytest.fixture
def anydesk(ada: User) -> RemoteTool:
    return actions.create_tool(
        by=ada,
        values={
            "name": "AnyDesk",
            "kind": "link",
            "template": "https://get.anydesk.com/?ticket={ticket}",
            "instructions_en": "Run AnyDesk and tell us the 9-digit number it shows.",
            "instructions_ru": "Запустите AnyDesk и сообщите нам 9-значный номер.",
        },
    )


@pytest.fixture
def email_ticket(
    make_ticket: Callable[..., Ticket], dana: User, alice: User
) -> Callable[..., Ticket]:
    def make(language: str = "en", **kw: Any) -> Ticket:
        return make_ticket(dana, by=alice, channel=Channel.EMAIL, language=language, **kw)

    return make
