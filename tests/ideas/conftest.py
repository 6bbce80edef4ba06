from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opora.accounts.actions import create_user
from opora.accounts.models import User
from opora.ideas import actions
from opora.ideas.models import Idea
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _desk_outbox(settings: Any) -> None:
    """The desk's own mail goes through its outbox, as in production (pytest-django
    would keep it in memory): the notices are `Delivery` rows to look at."""
    settings.EMAIL_BACKEND = "opora.inbox.mail_backend.OutboxBackend"


@pytest.fixture
def ivan(db: None) -> User:
    """A customer who reads Russian."""
    return create_user(
        email="ivan@romashka.test", name="Иван", password=PASSWORD, by=None, language="ru"
    )


@pytest.fixture
def suggestion(make_ticket: Callable[..., Ticket]) -> Callable[..., Ticket]:
    def make(requester: User, subject: str, body: str = "", **kw: Any) -> Ticket:
        kw.setdefault("channel", "email")
        return make_ticket(
            requester, subject=subject, body=body or subject, type="suggestion", **kw
        )

    return make


@pytest.fixture
def make_idea(ada: User) -> Callable[..., Idea]:
    def make(title: str, description: str = "") -> Idea:
        return actions.create_idea(by=ada, title=title, description=description)

    return make
