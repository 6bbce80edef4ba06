"""The chat's REST API and the widget settings screen: who may do what."""

from __future__ import annotations

from typing import Any

from django.test import Client

from opora.accounts.actions import set_user_language
from opora.accounts.models import Team, User
from opora.chat.actions import (
    post_message,
    set_presence,
)
from opora.chat.models import AgentPresence, ChatSession, ChatWidget
from opora.chat.selectors import Visitor
from opora.chat.widgets import WidgetFields, change_widget_key, save_widget
from opora.core.errors import ValidationFailed
from tests.conftest import PASSWORD
from tests.writes import nothing_written


def waiting_chat(widget: ChatWidget, text: str = "Hello") -> ChatSession:
    post_message(Visitor(widget=widget, visitor_id="visitor-rest-1"), text, "c1")
    return ChatSession.objects.get(visitor_id="visitor-rest-1")


def put_presence(client: Any, body: str) -> Any:
    return client.put("/api/v1/chat/presence", body, content_type="application/json")


def test_an_agent_goes_online_and_accepts_a_chat_over_rest(
    api: Any, widget: ChatWidget, alice: User
):
    alice_api = api(alice)
    response = put_presence(alice_api.client, '{"status": "online"}')
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "online", "capacity": 3, "active_chats": 0}
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


def test_an_admin_sets_how_many_chats_an_agent_takes_and_the_agent_cannot(
    api: Any, ada: User, alice: User, bob: User
):
    # given Alice online with the default capacity
    set_presence(alice, "online")
    alice_api, ada_api = api(alice), api(ada)
    # when Alice tries to raise her own capacity, or to set anyone's: refused, unchanged
    presence = AgentPresence.objects.get(agent=alice)
    with nothing_written(presence):
        own = put_presence(alice_api.client, '{"status": "online", "capacity": 9}')
        other = alice_api.patch(f"/chat/agents/{bob.pk}", {"capacity": 9})
    assert (own.status_code, own.json()["errors"][0]["field"]) == (422, "capacity")
    assert (other.status_code, other.json()["code"]) == (403, "admins_only")
    # then an administrator sees everyone's and sets Alice's
    listed = {a["email"]: a for a in ada_api.get("/chat/agents").json()}
    assert listed["alice@desk.test"] == {
        "id": alice.pk,
        "name": "Alice",
        "email": "alice@desk.test",
        "status": "online",
        "capacity": 3,
        "active_chats": 0,
    }
    assert listed["bob@desk.test"]["status"] == "offline"
    changed = ada_api.patch(f"/chat/agents/{alice.pk}", {"capacity": 5})
    assert changed.status_code == 200, changed.content
    assert changed.json()["capacity"] == 5
    assert alice_api.get("/chat/presence").json()["capacity"] == 5
    # out of range, or someone who is no agent: refused
    with nothing_written(AgentPresence.objects.get(agent=alice)):
        assert ada_api.patch(f"/chat/agents/{alice.pk}", {"capacity": 0}).status_code == 422
        assert ada_api.patch(f"/chat/agents/{alice.pk}", {"capacity": 51}).status_code == 422
    assert ada_api.patch("/chat/agents/999999", {"capacity": 2}).status_code == 404


def test_a_new_public_key_stops_the_old_one(api: Any, ada: User, alice: User, widget: ChatWidget):
    old = widget.public_key
    assert Client().get(f"/chat/api/{old}/config").status_code == 200
    # an agent may not change it
    alice_api = api(alice)
    with nothing_written(widget):
        refused = alice_api.post(f"/chat/widgets/{widget.pk}/key")
    assert refused.status_code == 403
    answer = api(ada).post(f"/chat/widgets/{widget.pk}/key")
    assert answer.status_code == 200, answer.content
    new = answer.json()["public_key"]
    assert new != old and f'data-key="{new}"' in answer.json()["snippet"]
    assert Client().get(f"/chat/api/{old}/config").status_code == 404
    assert Client().get(f"/chat/api/{new}/config").status_code == 200
    # a chosen key (the demo's) goes through the same action; a taken one is refused
    other = save_widget(None, WidgetFields(name="Other", team_id=widget.team_id), by=ada)
    change_widget_key(other, by=ada, key="demo")
    assert ChatWidget.objects.get(pk=other.pk).public_key == "demo"
    with nothing_written(widget):
        try:
            change_widget_key(widget, by=ada, key="demo")
        except ValidationFailed as exc:
            assert exc.code == "key_taken"
        else:
            raise AssertionError("a taken key was accepted")


def test_admins_reach_the_chat_settings_from_the_admin_console(
    client: Client, ada: User, alice: User, widget: ChatWidget
):
    client.force_login(alice)
    assert "/agent/chat/settings" not in client.get("/admin/kb/", follow=True).content.decode()
    client.force_login(ada)
    console = client.get("/admin/", follow=True).content.decode()
    assert 'href="/agent/chat/settings"' in console
    # the settings show the public key and give a new one on request
    page = client.get("/agent/chat/settings").content.decode()
    assert widget.public_key in page
    old = widget.public_key
    response = client.post(f"/agent/chat/settings/{widget.pk}", {"action": "new-key"})
    assert response.status_code == 302
    widget.refresh_from_db()
    assert widget.public_key != old
    shown = client.get(response["Location"]).content.decode()
    assert widget.public_key in shown and old not in shown
    assert "has a new key" in shown


def test_the_settings_screen_sets_the_agents_capacity(
    client: Client, ada: User, alice: User, bob: User
):
    client.force_login(ada)
    page = client.get("/agent/chat/settings").content.decode()
    assert f'name="capacity-{alice.pk}"' in page
    with nothing_written():
        refused = client.post(
            "/agent/chat/settings",
            {"action": "capacity", f"capacity-{alice.pk}": "4", f"capacity-{bob.pk}": "0"},
        )
    assert refused.status_code == 422
    assert "Capacity is from 1 to 50 chats." in refused.content.decode()
    saved = client.post(
        "/agent/chat/settings",
        {"action": "capacity", f"capacity-{alice.pk}": "4", f"capacity-{bob.pk}": "2"},
    )
    assert saved.status_code == 302
    assert AgentPresence.objects.get(agent=alice).capacity == 4
    assert AgentPresence.objects.get(agent=bob).capacity == 2
    # an agent cannot post it
    client.force_login(alice)
    with nothing_written(AgentPresence.objects.get(agent=alice)):
        assert (
            client.post(
                "/agent/chat/settings", {"action": "capacity", f"capacity-{alice.pk}": "9"}
            ).status_code
            == 404
        )
