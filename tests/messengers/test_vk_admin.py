"""Connecting a VK community: the API and the console, and the token and secret key that
are never given back nor logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from opora.core.models import AdminChange
from opora.inbox.models import Delivery
from opora.messengers.models import VkCommunity
from opora.tickets.actions import add_message
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.messengers.vk_fixtures import CUSTOMER_ID, message_event
from tests.messengers.vk_server import CONFIRMATION, GROUP_ID, GROUP_NAME, SECRET, TOKEN, VkServer
from tests.writes import nothing_written


def _new(server: VkServer, team: Team | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Shop VK",
        "group_id": GROUP_ID,
        "token": TOKEN,
        "secret_key": SECRET,
        "confirmation": CONFIRMATION,
        "api_base": server.url,
        "team": team.pk if team else None,
        **extra,
    }


# --- API --------------------------------------------------------------------------------


def test_an_admin_connects_and_tests_a_community_through_the_api(
    api: Any, ada: User, support: Team, vk_api: VkServer, settings: Any
) -> None:
    settings.BASE_URL = "https://desk.example.com"
    client = api(ada)
    created = client.post("/channels/vk", _new(vk_api, support))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["token_set"] is True and body["secret_key_set"] is True
    assert "token" not in body and "secret_key" not in body
    assert body["confirmation"] == CONFIRMATION
    assert body["api_version"] == "5.199"
    assert body["callback_url"] == f"https://desk.example.com/channels/vk/{body['id']}/callback"
    community_id = body["id"]

    test = client.post(f"/channels/vk/{community_id}/test")
    assert test.json() == {"ok": True, "message": GROUP_NAME}
    [call] = vk_api.sent("groups.getById")
    assert call.params["group_id"] == str(GROUP_ID)
    assert client.get(f"/channels/vk/{community_id}").json()["vk_name"] == GROUP_NAME

    sent = client.post(
        f"/channels/vk/{community_id}/test-message", {"peer_id": 555, "text": "ping"}
    )
    assert sent.json() == {"ok": True, "message": "Sent."}
    assert vk_api.sent("messages.send")[-1].params["message"] == "ping"
    assert vk_api.sent("messages.send")[-1].params["peer_id"] == "555"

    changed = client.patch(f"/channels/vk/{community_id}", {"active": False, "language": "en"})
    assert (changed.json()["active"], changed.json()["language"]) == (False, "en")
    assert [c["id"] for c in client.get("/channels/vk").json()] == [community_id]
    assert client.delete(f"/channels/vk/{community_id}").status_code == 204
    assert not VkCommunity.objects.exists()
    assert list(
        AdminChange.objects.filter(area="channels").order_by("id").values_list("action", flat=True)
    ) == ["created", "changed", "deleted"]


def test_a_failed_test_shows_the_error_and_keeps_it_as_the_last_error(
    api: Any, ada: User, vk_api: VkServer
) -> None:
    client = api(ada)
    community_id = client.post("/channels/vk", _new(vk_api)).json()["id"]
    client.patch(f"/channels/vk/{community_id}", {"token": "vk1.a.another-token-0000000000"})
    failed = client.post(f"/channels/vk/{community_id}/test").json()
    assert failed["ok"] is False
    assert "VK error 5" in failed["message"]
    shown = client.get(f"/channels/vk/{community_id}").json()
    assert "VK error 5" in shown["last_error"]
    assert shown["last_error_at"] is not None
    vk_api.stop()
    client.patch(f"/channels/vk/{community_id}", {"token": TOKEN})
    down = client.post(f"/channels/vk/{community_id}/test").json()
    assert down["ok"] is False
    assert TOKEN not in down["message"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"token": "short"}, "invalid_token"),
        ({"token": "vk1.a. spaces are not in tokens"}, "invalid_token"),
        ({"secret_key": "not secret!"}, "invalid_secret"),
        ({"secret_key": ""}, "invalid_secret"),
        ({"confirmation": "a b"}, "invalid_confirmation"),
        ({"api_base": "ftp://x"}, "invalid_api_base"),
        ({"api_version": "4.0"}, "invalid_version"),
        ({"team": 999999}, "unknown_team"),
        ({"name": "  "}, "invalid_name"),
        ({"group_id": 0}, None),
        ({"language": "de"}, None),
        ({"secret": "mine"}, None),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    api: Any, ada: User, vk_api: VkServer, change: dict[str, Any], code: str | None
) -> None:
    client = api(ada)
    with nothing_written():
        answer = client.post("/channels/vk", _new(vk_api) | change)
    assert answer.status_code in (400, 422), answer.content
    if code:
        assert answer.json()["code"] == code


def test_a_community_is_connected_once(
    api: Any, ada: User, vk_community: VkCommunity, vk_api: VkServer
) -> None:
    client = api(ada)
    with nothing_written(vk_community):
        answer = client.post("/channels/vk", _new(vk_api))
        bad_peer = client.post(f"/channels/vk/{vk_community.pk}/test-message", {"peer_id": "x"})
    assert answer.json()["code"] == "group_taken"
    assert bad_peer.status_code in (400, 422)
    assert client.get("/channels/vk/999999").status_code == 404


def test_only_admins_manage_communities(
    api: Any, alice: User, lena: User, vk_community: VkCommunity, vk_api: VkServer
) -> None:
    for user in (alice, lena):
        client = api(user)
        with nothing_written(vk_community):
            assert client.get("/channels/vk").status_code == 403
            assert client.post("/channels/vk", _new(vk_api)).status_code == 403
            assert client.patch(f"/channels/vk/{vk_community.pk}", {"name": "x"}).status_code == 403
            assert client.post(f"/channels/vk/{vk_community.pk}/test").status_code == 403
            assert client.delete(f"/channels/vk/{vk_community.pk}").status_code == 403
    assert vk_api.calls == []
    assert api(None).get("/channels/vk").status_code == 401


def test_the_token_and_secret_key_are_never_returned_nor_logged(
    api: Any,
    ada: User,
    vk_community: VkCommunity,
    vk_api: VkServer,
    post_event: Any,
    run_jobs: Any,
    alice: User,
    caplog: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = api(ada)
    texts = [
        client.get("/channels/vk").content,
        client.get(f"/channels/vk/{vk_community.pk}").content,
        client.patch(f"/channels/vk/{vk_community.pk}", {"name": "Renamed"}).content,
        client.post(f"/channels/vk/{vk_community.pk}/test").content,
    ]
    run_jobs(lambda: post_event(vk_community, message_event("hello")))
    ticket = Ticket.objects.get()
    vk_api.denied.add(CUSTOMER_ID)
    run_jobs(lambda: add_message(ticket, by=alice, body="reply"))
    vk_api.stop()
    client.post(f"/channels/vk/{vk_community.pk}/test")
    vk_community.refresh_from_db()
    texts += [vk_community.last_error.encode(), Delivery.objects.get().error.encode()]
    texts += [str(c.changes).encode() for c in AdminChange.objects.all()]
    texts += [str(e.payload).encode() for e in vk_community_events(vk_community)]
    texts.append(caplog.text.encode())
    assert caplog.text  # something was logged at all
    for text in texts:
        assert TOKEN.encode() not in text
        assert SECRET.encode() not in text


def vk_community_events(community: VkCommunity) -> list[Any]:
    from opora.messengers.models import VkEvent

    return list(VkEvent.objects.filter(community=community))


# --- Console ----------------------------------------------------------------------------


def _console(user: User) -> Client:
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def test_an_admin_adds_a_community_in_the_console_and_the_secrets_stay_hidden(
    ada: User, support: Team, vk_api: VkServer
) -> None:
    client = _console(ada)
    assert "/admin/channels/vk/" in client.get("/admin/channels/mailboxes/").content.decode()
    form = {
        "name": "Shop VK",
        "group_id": f"club{GROUP_ID}",
        "token": TOKEN,
        "confirmation": CONFIRMATION,
        "secret_key": SECRET,
        "api_base": vk_api.url,
        "api_version": "5.199",
        "team": support.pk,
        "language": "ru",
        "active": "on",
    }
    page = client.post("/admin/channels/vk/new", form)
    assert page.status_code == 302, page.content.decode()[:2000]
    community = VkCommunity.objects.get()
    assert (community.group_id, community.token, community.secret_key) == (GROUP_ID, TOKEN, SECRET)
    shown = client.get(page["Location"]).content.decode()
    assert TOKEN not in shown and SECRET not in shown
    assert "data-token-set" in shown and "data-secret-set" in shown
    assert f"/channels/vk/{community.pk}/callback" in shown

    tested = client.post(f"/admin/channels/vk/{community.pk}/test").content.decode()
    assert GROUP_NAME in tested and 'data-check="ok"' in tested
    sent = client.post(
        f"/admin/channels/vk/{community.pk}/send-test", {"peer_id": "id42", "text": "hi"}
    )
    assert 'data-check="ok"' in sent.content.decode()
    assert vk_api.sent("messages.send")[-1].params["peer_id"] == "42"

    # Saving with the write-only fields left empty keeps them.
    saved = client.post(
        f"/admin/channels/vk/{community.pk}/",
        form | {"name": "Shop", "token": "", "secret_key": "", "active": ""},
    )
    assert saved.status_code == 302
    community.refresh_from_db()
    assert (community.name, community.token, community.secret_key, community.active) == (
        "Shop",
        TOKEN,
        SECRET,
        False,
    )
    listing = client.get("/admin/channels/vk/").content.decode()
    assert "Shop" in listing and GROUP_NAME in listing

    vk_api.stop()
    failed = client.post(f"/admin/channels/vk/{community.pk}/test").content.decode()
    assert 'data-check="failed"' in failed
    assert "Error" in client.get("/admin/channels/vk/").content.decode()
    assert "data-last-error" in client.get(f"/admin/channels/vk/{community.pk}/").content.decode()

    client.post(f"/admin/channels/vk/{community.pk}/delete")
    assert not VkCommunity.objects.exists()


def test_the_console_refuses_bad_input_and_other_people(
    ada: User, alice: User, dana: User, vk_community: VkCommunity, vk_api: VkServer
) -> None:
    client = _console(ada)
    with nothing_written(vk_community):
        no_token = client.post(
            "/admin/channels/vk/new",
            {
                "name": "X",
                "group_id": "123",
                "token": "",
                "secret_key": "abc",
                "api_base": vk_api.url,
                "api_version": "5.199",
                "language": "en",
            },
        )
        bad_peer = client.post(
            f"/admin/channels/vk/{vk_community.pk}/send-test", {"peer_id": "me!"}
        )
    assert no_token.status_code == 400
    assert "access token is required" in no_token.content.decode()
    assert bad_peer.status_code == 400
    for person in (alice, dana):
        other = _console(person)
        with nothing_written(vk_community):
            assert other.get("/admin/channels/vk/").status_code == 403
            assert other.post(f"/admin/channels/vk/{vk_community.pk}/delete").status_code == 403
            assert other.post(f"/admin/channels/vk/{vk_community.pk}/test").status_code == 403
    assert client.get("/admin/channels/vk/999999/").status_code == 404
