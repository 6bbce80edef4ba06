"""Visitors: tokens issued and kept, forged or foreign ones refused with nothing written,
and no visitor ever reaching another's conversation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.chat.models import ChatSession, ChatWidget
from opora.chat.selectors import visitor_token
from opora.chat.widgets import WidgetFields, save_widget
from tests.chat.conftest import new_visitor, online, run, visitor_socket
from tests.writes import nothing_written

# Sockets work in threads of their own: every test commits for real.
pytestmark = pytest.mark.django_db(transaction=True)


def post_visitor(widget: ChatWidget, body: dict[str, object]) -> Any:
    return Client().post(
        f"/chat/api/{widget.public_key}/visitor", json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def other_widget(billing: Team, ada: User) -> ChatWidget:
    return save_widget(None, WidgetFields(name="Billing site", team_id=billing.pk), by=ada)


def test_a_widget_tells_its_settings_to_any_site(widget: ChatWidget, alice: User):
    online(alice)
    response = Client().get(
        f"/chat/api/{widget.public_key}/config", HTTP_ORIGIN="https://shop.test"
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["online"] is True
    assert body["team"] == "Support"
    assert body["greeting"] == {"en": "Hi!", "ru": "Привет!"}
    assert body["prechat"] == {"name": "off", "email": "optional"}
    assert body["max_upload_bytes"] > 0


def test_a_returning_visitor_keeps_their_token_and_session(widget: ChatWidget):
    first = post_visitor(widget, {"name": "Vera", "page_url": "https://shop.test/cart"})
    token = first.json()["token"]
    again = post_visitor(widget, {"token": token, "page_url": "https://shop.test/pay"})
    assert again.json()["token"] == token
    session = ChatSession.objects.get()
    assert session.name == "Vera"
    assert session.page_url == "https://shop.test/pay"


def test_forged_foreign_and_inactive_tokens_are_refused_and_nothing_is_written(
    widget: ChatWidget, other_widget: ChatWidget, ada: User
):
    # given a genuine token of another widget, a forged one and a tampered one
    foreign = visitor_token(other_widget, "someone-else-123")
    forged = visitor_token(widget, "visitor-12345678")[:-3] + "abc"
    for bad in (foreign, forged, "nonsense"):
        with nothing_written():
            response = Client().get(
                f"/chat/api/{widget.public_key}/history", HTTP_X_CHAT_VISITOR=bad
            )
        assert response.status_code == 401
        assert response.json()["code"] == "bad_visitor_token"

        async def connect(token: str = bad) -> tuple[bool, int | None]:
            socket = visitor_socket(widget, token)
            accepted = await socket.connect()
            frame = await socket.receive()
            return accepted, frame.get("code")

        with nothing_written():
            _, code = run(connect)
        assert code == 4401
    # an inactive widget refuses even its own visitors
    token = new_visitor(widget)
    save_widget(widget, WidgetFields(active=False), by=ada)

    async def connect_inactive() -> int | None:
        socket = visitor_socket(widget, token)
        await socket.connect()
        return (await socket.receive()).get("code")

    with nothing_written():
        assert run(connect_inactive) == 4404
        response = post_visitor(widget, {"token": token})
    assert response.status_code == 404


def test_a_visitor_never_reaches_another_visitors_conversation(widget: ChatWidget, alice: User):
    online(alice)
    vera, max_ = new_visitor(widget, name="Vera"), new_visitor(widget, name="Max")

    async def scenario() -> tuple[list[dict[str, object]], dict[str, object]]:
        first = visitor_socket(widget, vera)
        await first.connect()
        await first.expect("hello")
        await first.send({"type": "message", "text": "My card number is secret", "client_id": "v1"})
        await first.expect("message")
        second = visitor_socket(widget, max_)
        await second.connect()
        hello = await second.expect("hello")
        await second.send({"type": "sync", "after": 0})
        await second.send({"type": "ping"})
        seen = []
        while (frame := await second.receive())["type"] != "pong":
            seen.append(frame)
        await first.close()
        await second.close()
        return seen, hello

    seen, hello = run(scenario)
    # then the second visitor's hello and sync carry nothing of the first's
    assert hello["messages"] == []
    assert seen == []
    # nor does their history over HTTP
    response = Client().get(f"/chat/api/{widget.public_key}/history", HTTP_X_CHAT_VISITOR=max_)
    assert response.json() == {"messages": []}


def test_a_required_email_must_be_given(widget: ChatWidget, ada: User):
    save_widget(widget, WidgetFields(prechat_email="required"), by=ada)
    with nothing_written():
        response = post_visitor(widget, {"name": "Vera"})
    assert response.status_code == 422
    assert response.json()["code"] == "email_required"
    assert post_visitor(widget, {"email": "vera@shop.test"}).status_code == 200


@pytest.mark.parametrize(
    "body", ["[" * 100_000 + "]" * 100_000, '{"name":' * 40 + '"x"' + "}" * 40, "{"]
)
def test_a_hostile_body_is_refused_and_writes_nothing(widget: ChatWidget, body: str):
    with nothing_written(widget):
        response = Client().post(
            f"/chat/api/{widget.public_key}/visitor", body, content_type="application/json"
        )
    assert response.status_code == 400
    assert not ChatSession.objects.exists()


@pytest.mark.parametrize("after", ["²", "-1", str(2**64), "x"])
def test_history_refuses_a_bad_message_id(widget: ChatWidget, after: str):
    token = new_visitor(widget)
    response = Client().get(
        f"/chat/api/{widget.public_key}/history", {"after": after}, HTTP_X_CHAT_VISITOR=token
    )
    assert response.status_code == 400
