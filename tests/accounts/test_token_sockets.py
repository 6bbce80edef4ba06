"""Staff WebSockets with a token: listening to the queue needs `read`; the agent's chat,
which sends replies, needs `tickets`. An expired token opens neither."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opora.accounts import tokens
from opora.accounts.models import ApiToken, User
from tests.chat.conftest import agent_socket, run
from tests.core.test_realtime import Listener

pytestmark = pytest.mark.django_db(transaction=True)


def _token(user: User, scope: str) -> str:
    return tokens.issue_token(user, scopes=[scope], expires_in_days=7)[1]


def test_a_read_token_listens_to_the_queue(alice: User) -> None:
    assert run(Listener(_token(alice, "read")).connect) is True


def test_the_agent_chat_needs_a_tickets_token(alice: User) -> None:
    reader, worker = _token(alice, "read"), _token(alice, "tickets")

    async def scenario() -> tuple[bool, int | None, bool]:
        refused = agent_socket(reader)
        refused_in = await refused.connect()
        accepted = agent_socket(worker)
        accepted_in = await accepted.connect()
        await accepted.close()
        return refused_in, refused.close_code, accepted_in

    refused_in, close_code, accepted_in = run(scenario)
    assert (refused_in, accepted_in) == (False, True)
    assert close_code is not None and close_code >= 4000


def test_an_expired_token_opens_no_socket(alice: User) -> None:
    raw = _token(alice, "admin")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    async def scenario() -> tuple[bool, bool]:
        return await Listener(raw).connect(), await agent_socket(raw).connect()

    assert run(scenario) == (False, False)
