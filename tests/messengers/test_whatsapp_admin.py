"""Connecting a WhatsApp number: the API and the console, and the secrets that are
never given back nor logged."""

from __future__ import annotations

import logging
from typing import Any

from django.test import Client

from opora.accounts.models import Team, User
from opora.core.models import AdminChange
from opora.messengers.models import WhatsAppNumber
from tests.messengers.whatsapp_fixtures import APP_SECRET
from tests.messengers.whatsapp_server import (
    ACCESS_TOKEN,
    DISPLAY_NUMBER,
    PHONE_NUMBER_ID,
    VERIFIED_NAME,
    VERSION,
    WhatsAppServer,
)
from tests.writes import nothing_written


def _new(server: WhatsAppServer, team: Team | None = None, **extra: object) -> dict[str, Any]:
    return {
        "name": "Support line",
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "api_base": server.url,
        "api_version": VERSION,
        "team": team.pk if team else None,
        "templates": ["hello_again"],
        **extra,
    }


def test_an_admin_adds_tests_and_changes_a_number_through_the_api(
    api: Any, ada: User, support: Team, whatsapp_api: WhatsAppServer, settings: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.BASE_URL = "https://desk.example.com"
    client = api(ada)
    created = client.post("/channels/whatsapp", _new(whatsapp_api, support))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["access_token_set"] is True
    assert body["app_secret_set"] is True
    assert ACCESS_TOKEN not in created.content.decode()
    assert APP_SECRET not in created.content.decode()
    assert body["webhook_url"] == f"https://desk.example.com/channels/whatsapp/{body['id']}/webhook"
    assert len(body["verify_token"]) > 20
    number_id = body["id"]

    test = client.post(f"/channels/whatsapp/{number_id}/test")
    assert test.json() == {"ok": True, "message": f"{VERIFIED_NAME} ({DISPLAY_NUMBER})"}
    assert (
        client.get(f"/channels/whatsapp/{number_id}")
        .json()["display_name"]
        .startswith(VERIFIED_NAME)
    )

    sent = client.post(
        f"/channels/whatsapp/{number_id}/test-message", {"to": "+1 555 123 4567", "text": "ping"}
    )
    assert sent.json() == {"ok": True, "message": "Sent."}
    assert whatsapp_api.messages()[-1]["to"] == "15551234567"
    assert whatsapp_api.messages()[-1]["text"]["body"] == "ping"

    # A change without the secrets keeps them.
    changed = client.patch(f"/channels/whatsapp/{number_id}", {"templates": ["a_b", "c"]})
    assert changed.json()["templates"] == ["a_b", "c"]
    number = WhatsAppNumber.objects.get(pk=number_id)
    assert (number.access_token, number.app_secret) == (ACCESS_TOKEN, APP_SECRET)
    client.patch(f"/channels/whatsapp/{number_id}", {"app_secret": "another-app-secret-1"})
    assert WhatsAppNumber.objects.get(pk=number_id).app_secret == "another-app-secret-1"

    assert [n["id"] for n in client.get("/channels/whatsapp").json()] == [number_id]
    assert client.delete(f"/channels/whatsapp/{number_id}").status_code == 204
    assert not WhatsAppNumber.objects.exists()
    changes = AdminChange.objects.filter(area="channels").order_by("id")
    assert list(changes.values_list("action", flat=True)) == [
        "created",
        "changed",
        "changed",
        "deleted",
    ]
    recorded = str(list(changes.values_list("changes", flat=True)))
    assert ACCESS_TOKEN not in recorded
    assert APP_SECRET not in recorded
    assert ACCESS_TOKEN not in caplog.text
    assert APP_SECRET not in caplog.text


def test_a_wrong_token_shows_as_the_last_error_without_the_token(
    api: Any, ada: User, whatsapp_api: WhatsAppServer
) -> None:
    client = api(ada)
    bad_token = "EAAG-wrong-token-000000000000"
    number_id = client.post(
        "/channels/whatsapp", _new(whatsapp_api, access_token=bad_token)
    ).json()["id"]
    test = client.post(f"/channels/whatsapp/{number_id}/test").json()
    assert test["ok"] is False
    assert "190" in test["message"]
    shown = client.get(f"/channels/whatsapp/{number_id}").json()
    assert "Invalid OAuth access token" in shown["last_error"]
    assert bad_token not in shown["last_error"]


def test_bad_input_gets_a_clear_4xx_and_writes_nothing(
    api: Any, ada: User, alice: User, whatsapp_api: WhatsAppServer
) -> None:
    client = api(ada)
    agent = api(alice)
    with nothing_written():
        for field, value, code in [
            ("phone_number_id", "abc", "invalid_phone_number_id"),
            ("access_token", "has spaces in it", "invalid_access_token"),
            ("api_base", "ftp://x", "invalid_api_base"),
            ("api_version", "latest", "invalid_api_version"),
            ("templates", ["Not Valid"], "invalid_templates"),
        ]:
            answer = client.post("/channels/whatsapp", _new(whatsapp_api, None, **{field: value}))
            assert answer.status_code == 422, (field, answer.content)
            assert answer.json()["code"] == code
        assert client.post("/channels/whatsapp", {"name": "x"}).status_code in (400, 422)
        # Agents are not administrators.
        assert agent.post("/channels/whatsapp", _new(whatsapp_api)).status_code == 403
    client.post("/channels/whatsapp", _new(whatsapp_api))
    with nothing_written():
        taken = client.post("/channels/whatsapp", _new(whatsapp_api, name="Again"))
    assert taken.json()["code"] == "number_taken"


def test_the_console_page_adds_a_number_keeps_secrets_write_only_and_tests_it(
    ada: User, whatsapp_api: WhatsAppServer
) -> None:
    page = Client()
    page.force_login(ada)
    listing = page.get("/admin/channels/whatsapp/")
    assert listing.status_code == 200
    form = _new(whatsapp_api) | {
        "templates": "hello_again\norder_update",
        "language": "en",
        "team": "",
        "active": "on",
    }
    added = page.post("/admin/channels/whatsapp/new", form)
    assert added.status_code == 302, added.content.decode()[:2000]
    number = WhatsAppNumber.objects.get()
    assert number.templates == ["hello_again", "order_update"]
    html = page.get(f"/admin/channels/whatsapp/{number.pk}/").content.decode()
    assert ACCESS_TOKEN not in html
    assert APP_SECRET not in html
    assert number.verify_token in html
    assert f"/channels/whatsapp/{number.pk}/webhook" in html

    # Saved with the secret fields left empty: the secrets stay.
    keep = form | {"access_token": "", "app_secret": "", "name": "Renamed"}
    assert page.post(f"/admin/channels/whatsapp/{number.pk}/", keep).status_code == 302
    number.refresh_from_db()
    assert (number.name, number.access_token, number.app_secret) == (
        "Renamed",
        ACCESS_TOKEN,
        APP_SECRET,
    )

    tested = page.post(f"/admin/channels/whatsapp/{number.pk}/test").content.decode()
    assert 'data-check="ok"' in tested
    assert VERIFIED_NAME in tested
    sent = page.post(f"/admin/channels/whatsapp/{number.pk}/send-test", {"to": "+15551234567"})
    assert 'data-check="ok"' in sent.content.decode()

    whatsapp_api.stop()
    failed = page.post(f"/admin/channels/whatsapp/{number.pk}/test").content.decode()
    assert 'data-check="failed"' in failed
    html = page.get(f"/admin/channels/whatsapp/{number.pk}/").content.decode()
    assert "data-last-error" in html
    assert "ConnectError" in html
