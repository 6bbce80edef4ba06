"""The chat's REST API and the widget settings screen: who may do what."""

from __future__ import annotations

from typing import Any

from django.test import Client

from opora.accounts.actions import set_user_language
from opora.accounts.models import Team, User
from opora.chat.actions import post_message, set_presence
from opora.chat.models import ChatSession, ChatWidget
from opora.chat.selectors import Visitor
from tests.conftest import PASSWORD
from tests.writes import nothing_written


def waiting_chat(widget: ChatWidget, text: str = "Hello") -> ChatSession:
    post_message(Visitor(widget=widget, visitor_id="visitor-rest-1"), text, "c1")
    return ChatSession.objects.get(visitor_id="visitor-rest-1")


def test_an_agent_goes_online_and_accepts_a_chat_over_rest(
    api: Any, widget: ChatWidget, alice: User
):
    alice_api = api(alice)
    response = alice_api.client.put(
        "/api/v1/chat/presence",
        '{"status": "online", "capacity": 2}',
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "online", "capacity": 2, "active_chats": 0}
    session = waiting_chat(widget)
    listed = alice_api.get("/chat/sessions").json()
    assert [c["id"] for c in listed] == [session.pk]
    assert listed[0]["state"] == "offered" and listed[0]["offered_to"] == alice.pk
    accepted = alice_api.post(f"/chat/sessions/{session.pk}/accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "active"
    assert alice_api.get("/chat/presence").json()["active_chats"] == 1
    ended = alice_api.post(f"/chat/sessions/{session.pk}/end")
    assert ended.json()["state"] == "ended"
    session.refresh_from_db()
    assert session.ticket is not None and session.ticket.status == "solved"


def test_transfer_to_another_agent_and_to_a_line(
    api: Any, widget: ChatWidget, alice: User, bob: User, otto: User
):
    set_presence(alice, "online")
    set_presence(bob, "online")
    session = waiting_chat(widget)
    alice_api = api(alice)
    alice_api.post(f"/chat/sessions/{session.pk}/accept")
    # to an agent outside the team: refused, nothing changes
    with nothing_written(session):
        refused = alice_api.post(f"/chat/sessions/{session.pk}/transfer", {"agent_id": otto.pk})
    assert refused.status_code == 422
    assert refused.json()["code"] == "unknown_agent"
    moved = alice_api.post(f"/chat/sessions/{session.pk}/transfer", {"agent_id": bob.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["agent_id"] == bob.pk
    # and up to the 2nd line: offered to Bob, the ticket on line 2
    up = api(bob).post(f"/chat/sessions/{session.pk}/transfer", {"line": 2})
    assert up.status_code == 200, up.content
    session.refresh_from_db()
    assert session.ticket is not None and session.ticket.line == 2
    assert session.state == "waiting"  # Bob passed it on; nobody else of line 2+ is online


def test_a_pass_is_refused_when_the_chat_is_not_offered_to_you(
    api: Any, widget: ChatWidget, alice: User, bob: User
):
    set_presence(alice, "online")
    session = waiting_chat(widget)
    bob_api = api(bob)
    with nothing_written(session):
        response = bob_api.post(f"/chat/sessions/{session.pk}/pass")
    assert response.status_code == 422
    assert response.json()["code"] == "not_offered"


def test_customers_cannot_use_the_agents_chat_api(api: Any, dana: User, widget: ChatWidget):
    dana_api = api(dana)
    assert dana_api.get("/chat/sessions").status_code == 403
    assert dana_api.get("/chat/presence").json()["code"] == "agents_only"


def test_only_admins_manage_widgets(api: Any, ada: User, alice: User, support: Team):
    alice_api = api(alice)
    with nothing_written():
        refused = alice_api.post("/chat/widgets", {"name": "Shop", "team": support.pk})
    assert refused.status_code == 403
    created = api(ada).post(
        "/chat/widgets",
        {"name": "Shop", "team": support.pk, "prechat_email": "required", "greeting_ru": "Привет"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["public_key"] and body["public_key"] in body["snippet"]
    assert "/chat/widget.js" in body["snippet"]
    patched = api(ada).patch(f"/chat/widgets/{body['id']}", {"active": False})
    assert patched.json()["active"] is False
    assert [w["name"] for w in api(ada).get("/chat/widgets").json()] == ["Shop"]
    bad = api(ada).post("/chat/widgets", {"name": "X", "team": 999999})
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_team"


def test_the_settings_screen_creates_a_widget_and_shows_the_snippet(
    client: Client, ada: User, support: Team, alice: User
):
    client.force_login(alice)
    assert client.get("/agent/chat/settings").status_code == 404  # admins only
    client.login(email="ada@desk.test", password=PASSWORD)
    page = client.get("/agent/chat/settings")
    assert page.status_code == 200
    response = client.post(
        "/agent/chat/settings",
        {
            "name": "Shop",
            "team": support.pk,
            "prechat_name": "optional",
            "prechat_email": "required",
            "greeting_en": "Hello!",
            "greeting_ru": "Здравствуйте!",
            "active": "on",
        },
    )
    assert response.status_code == 302
    widget = ChatWidget.objects.get()
    assert (widget.prechat_email, widget.greeting_ru) == ("required", "Здравствуйте!")
    shown = client.get(response["Location"]).content.decode()
    assert f'data-key="{widget.public_key}"' in shown.replace("&quot;", '"')
    # in Russian too
    set_user_language(ada, "ru")
    ru = client.get("/agent/chat/settings").content.decode()
    assert "Виджеты чата" in ru
