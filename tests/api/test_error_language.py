"""Error answers: the code stays the same in every language, the message follows the reader's."""

from __future__ import annotations

import json


def test_the_code_is_stable_and_the_message_is_translated(api, alice, settings):
    # given
    settings.API_MAX_PAGE_SIZE = 100
    desk = api(alice).client
    # when
    english = desk.get("/api/v1/tickets", {"limit": 1000}, HTTP_ACCEPT_LANGUAGE="en")
    russian = desk.get("/api/v1/tickets", {"limit": 1000}, HTTP_ACCEPT_LANGUAGE="ru")
    # then
    assert english.status_code == russian.status_code == 422
    assert english.json()["code"] == russian.json()["code"] == "too_large"
    assert english.json()["detail"] == "limit may be at most 100"
    assert russian.json()["detail"] == "limit может быть не больше 100"


def test_a_refusal_of_the_answer_bot_is_translated(api, alice):
    # when
    answer = api(alice).client.post(
        "/api/v1/bot/settings",
        json.dumps({"enabled": True}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    # then
    assert answer.status_code == 403
    assert answer.json()["code"] == "leads_only"
    assert answer.json()["detail"] == (
        "Настраивать бота могут только руководители команд и администраторы."
    )
