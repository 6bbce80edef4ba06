"""Helpers of the complaint tests: a request opened as a customer would, with the
reactions that follow its commit run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opora.accounts.models import User
from opora.tickets import actions
from opora.tickets.models import Ticket


@pytest.fixture
def open_request(django_capture_on_commit_callbacks: Any, support: Any) -> Callable[..., Ticket]:
    def open_(requester: User, body: str, *, subject: str = "Order 5521", **kw: Any) -> Ticket:
        kw.setdefault("channel", "web")
        with django_capture_on_commit_callbacks(execute=True):
            ticket = actions.create_ticket(
                requester=requester, by=requester, subject=subject, body=body, **kw
            )
        ticket.refresh_from_db()
        return ticket

    return open_
