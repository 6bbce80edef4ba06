"""The webhooks' usual updates as `opora serve` answers them: in the event loop, their
writes grouped into one commit by one writer thread (`core/lean.py` `LeanAsgi` and
`GroupCommit`, `messengers/webhooks.py`). A burst of concurrent updates is stored once
each, in fewer commits than requests; a forged, oversized or repeated update writes
nothing; an update that could not be stored is never answered 200."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opora.asgi import application
from opora.messengers import webhooks
from opora.messengers.models import TelegramBot, TelegramUpdate, VkCommunity, VkEvent
from opora.messengers.tasks import drain_telegram_task, drain_vk_task
from opora.tickets.models import Message
from tests.messengers.conftest import update
from tests.messengers.vk_fixtures import message_event
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _burst(requests: list[tuple[str, bytes, dict[str, str]]]) -> list[httpx.Response]:
    """Every request sent at once, through the ASGI application uvicorn runs."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as web:
            return list(
                await asyncio.gather(
                    *(
                        web.post(
                            path,
                            content=body,
                            headers={"Content-Type": "application/json", **headers},
                        )
                        for path, body, headers in requests
                    )
                )
            )

    return asyncio.run(run())


def _telegram(
    bot: TelegramBot, data: Any, secret: str | None = None
) -> tuple[str, bytes, dict[str, str]]:
    given = bot.webhook_secret if secret is None else secret
    return (
        f"/channels/telegram/{bot.pk}/webhook",
        json.dumps(data).encode(),
        {SECRET_HEADER: given},
    )


def _vk(community: VkCommunity, data: dict[str, Any]) -> tuple[str, bytes, dict[str, str]]:
    return (f"/channels/vk/{community.pk}/callback", json.dumps(data).encode(), {})


def test_a_burst_is_stored_once_each_in_fewer_commits_than_requests(
    tg_bot: TelegramBot, vk_community: VkCommunity
) -> None:
    before = _burst([_telegram(tg_bot, update("sent before", update_id=7000))])
    assert before[0].json()["outcome"] == "queued"
    groups = webhooks.WRITER.groups
    twice = update("sent twice in the burst", update_id=7001)
    requests = [_telegram(tg_bot, update(f"message {n}", update_id=7100 + n)) for n in range(30)]
    requests += [_telegram(tg_bot, twice), _telegram(tg_bot, twice)]
    requests += [_telegram(tg_bot, update("again", update_id=7000))]  # stored before
    requests += [
        _vk(vk_community, message_event(f"vk {n}", event_id=f"burst-{n}")) for n in range(10)
    ]
    requests += [_vk(vk_community, message_event("vk twice", event_id="burst-0"))]
    requests += [_telegram(tg_bot, update("forged", update_id=7999), secret="guessed")]
    answers = _burst(requests)

    telegram = [a.json()["outcome"] for a in answers[:33]]
    assert telegram[:30] == ["queued"] * 30
    assert sorted(telegram[30:32]) == ["duplicate", "queued"]
    assert telegram[32] == "duplicate"
    assert [(a.status_code, a.text) for a in answers[33:44]] == [(200, "ok")] * 11
    assert answers[44].status_code == 403
    assert answers[44].json()["code"] == "wrong_secret"
    # Every distinct update once; the forged one not at all.
    assert TelegramUpdate.objects.filter(bot=tg_bot).count() == 1 + 30 + 1
    assert not TelegramUpdate.objects.filter(update_id=7999).exists()
    assert VkEvent.objects.filter(community=vk_community).count() == 10
    assert "secret" not in VkEvent.objects.first().payload  # type: ignore[union-attr]
    # Grouped: 45 requests took a handful of groups, not 45 commits.
    assert webhooks.WRITER.groups - groups < 10
    # And the drains take them all in.
    assert drain_telegram_task.call() == 32
    assert drain_vk_task.call() == 10
    assert Message.objects.filter(external_id__startswith="telegram:").count() == 32


def test_a_group_costs_the_same_few_statements_as_one_update(
    tg_bot: TelegramBot, vk_community: VkCommunity
) -> None:
    _burst(
        [
            _telegram(tg_bot, update("first", update_id=7299)),
            _vk(vk_community, message_event("first", event_id="count-first")),
        ]
    )  # both drains are queued now
    posts: list[webhooks.Post] = []
    for n in range(20):
        data = update(f"m{n}", update_id=7300 + n)
        posts.append(webhooks.TelegramPost(tg_bot.pk, tg_bot.webhook_secret, 7300 + n, data))
        event = message_event(f"v{n}", event_id=f"count-{n}")
        read = webhooks.read_vk(vk_community.pk, json.dumps(event).encode())
        assert read is not None
        posts.append(read)
    with CaptureQueriesContext(connection) as queries:
        outcomes = webhooks.store(posts)
    assert outcomes == ["queued", "ok"] * 20
    # Per messenger: the account's secret, the multi-row insert, whether its drain is
    # queued: what one update alone costs (test_lean_webhooks.py).
    assert len(queries) == 2 * 3, [q["sql"] for q in queries]


def test_forged_oversized_and_repeated_updates_write_nothing_on_the_event_loop_path(
    tg_bot: TelegramBot, vk_community: VkCommunity
) -> None:
    first = update("once", update_id=7400)
    _burst([_telegram(tg_bot, first)])
    with nothing_written(tg_bot, vk_community):
        answers = _burst(
            [
                _telegram(tg_bot, first),  # sent again
                _telegram(tg_bot, update("hi", update_id=7401), secret="guessed"),
                _telegram(tg_bot, update("hi", update_id=7402), secret=""),
                _vk(vk_community, message_event("hi", event_id="forged") | {"secret": "guessed"}),
                _vk(vk_community, message_event("hi", event_id="other") | {"group_id": 1}),
                _telegram(tg_bot, {"update_id": 2**63, "message": first["message"]}),
            ]
        )
        chunked = _chunked(f"/channels/telegram/{tg_bot.pk}/webhook", tg_bot.webhook_secret)
    assert answers[0].json() == {"ok": True, "outcome": "duplicate"}
    assert [a.status_code for a in answers[1:]] == [403, 403, 403, 400, 400]
    assert answers[3].json()["code"] == "wrong_secret"
    assert answers[4].json()["code"] == "wrong_group"
    assert answers[5].json()["code"] == "bad_update"  # not a 500
    assert chunked[0] == 413
    assert json.loads(chunked[1])["code"] == "too_large"


def _chunked(path: str, secret: str) -> tuple[int, bytes, int]:
    """A body sent in pieces with no Content-Length, past the limit: refused once the
    limit is passed, the rest never read. (status, body, pieces read)"""
    piece = b" " * (256 * 1024)
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": piece, "more_body": read < 100}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (SECRET_HEADER.lower().encode(), secret.encode())],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
    }
    asyncio.run(application(scope, receive, send))
    assert read < 10
    return sent[0]["status"], sent[1]["body"], read


def test_an_update_that_could_not_be_stored_is_not_answered_200(
    tg_bot: TelegramBot, vk_community: VkCommunity
) -> None:
    table = TelegramUpdate._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(table + '_away')}")
    try:
        answers = _burst(
            [
                _telegram(tg_bot, update("lost?", update_id=7500)),
                _telegram(tg_bot, update("lost too?", update_id=7501)),
                _vk(vk_community, message_event("kept", event_id="kept-1")),
            ]
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {quote(table + '_away')} RENAME TO {quote(table)}")
    assert [a.status_code for a in answers[:2]] == [500, 500]
    assert answers[0].json()["code"] == "server_error"
    # The group's other updates were written alone, and stored.
    assert (answers[2].status_code, answers[2].text) == (200, "ok")
    assert VkEvent.objects.filter(event_id="kept-1").exists()
    # Telegram sends them again: stored now.
    again = _burst([_telegram(tg_bot, update("lost?", update_id=7500))])
    assert again[0].json()["outcome"] == "queued"
    assert TelegramUpdate.objects.filter(bot=tg_bot).count() == 1
