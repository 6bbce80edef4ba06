"""Administrators manage the remote tools through the API and the console; the secret
that signs a tool's reports is never given back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import User
from opora.core.models import AdminChange
from opora.remote import actions
from opora.remote.models import RemoteTool
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.remote.conftest import SECRET
from tests.writes import nothing_written


def test_an_admin_adds_changes_and_deletes_a_tool_through_the_api(
    api: Any, ada: User, settings: Any
) -> None:
    settings.BASE_URL = "https://desk.example.com"
    client = api(ada)
    created = client.post(
        "/remote-tools",
        {"name": "RustDesk", "instructions_ru": "Скачайте RustDesk.", "secret": SECRET},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "rustdesk"
    assert body["template"] == "rustdesk://connection/new/{id}?password={password}"
    assert body["secret_set"] is True
    assert "secret" not in body
    assert body["events_url"] == f"https://desk.example.com/channels/remote/{body['id']}/events"
    tool_id = body["id"]

    changed = client.patch(
        f"/remote-tools/{tool_id}",
        {"kind": "link", "template": "https://get.anydesk.com/", "name": "AnyDesk"},
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["kind"], changed.json()["name"]) == ("link", "AnyDesk")
    assert RemoteTool.objects.get(pk=tool_id).secret == SECRET  # kept
    assert [t["id"] for t in client.get("/remote-tools").json()] == [tool_id]
    assert client.get(f"/remote-tools/{tool_id}").json()["name"] == "AnyDesk"
    assert client.delete(f"/remote-tools/{tool_id}").status_code == 204
    assert not RemoteTool.objects.exists()
    changes = list(AdminChange.objects.filter(target_type="remote_tool").order_by("id"))
    assert [c.action for c in changes] == ["created", "changed", "deleted"]
    assert SECRET not in str([c.changes for c in changes])


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"name": "X", "kind": "link", "template": ""}, "template", "invalid_template"),
        ({"name": "X", "kind": "link", "template": "ftp://x/{id}"}, "template", "invalid_template"),
        ({"name": "X", "template": "rustdesk://x/{who}"}, "template", "invalid_template"),
        ({"name": "X", "template": "https://x/{id}"}, "template", "invalid_template"),
        ({"name": "X", "secret": "short"}, "secret", "invalid_secret"),
        ({"name": "X", "instructions_en": "Say {name}"}, "instructions_en", "invalid_instructions"),
        ({"name": "  "}, "name", "invalid_name"),
    ],
)
def test_bad_tools_are_refused_and_write_nothing(
    api: Any, ada: User, payload: dict[str, Any], field: str, code: str
) -> None:
    client = api(ada)
    with nothing_written():
        answer = client.post("/remote-tools", payload)
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"][0] == {
        "field": field,
        "code": code,
        "message": answer.json()["detail"],
    }


def test_unknown_fields_and_wrong_kinds_are_400s(api: Any, ada: User) -> None:
    client = api(ada)
    with nothing_written():
        extra = client.post("/remote-tools", {"name": "X", "colour": "red"})
        kind = client.post("/remote-tools", {"name": "X", "kind": "vnc"})
    assert extra.status_code in (400, 422)
    assert kind.status_code in (400, 422)


def test_agents_may_not_manage_tools(api: Any, alice: User, rustdesk: RemoteTool) -> None:
    client = api(alice)
    with nothing_written(rustdesk):
        assert client.get("/remote-tools").status_code == 403
        assert client.post("/remote-tools", {"name": "X"}).status_code == 403
        assert client.patch(f"/remote-tools/{rustdesk.pk}", {"active": False}).status_code == 403
        assert client.delete(f"/remote-tools/{rustdesk.pk}").status_code == 403


def test_a_tool_that_was_used_is_switched_off_not_deleted(
    api: Any, ada: User, alice: User, anydesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    actions.invite(email_ticket(), by=alice, tool_id=anydesk.pk)
    client = api(ada)
    with nothing_written(anydesk):
        answer = client.delete(f"/remote-tools/{anydesk.pk}")
    assert (answer.status_code, answer.json()["code"]) == (422, "tool_in_use")


def _admin_client(ada: User) -> Client:
    client = Client()
    assert client.login(username=ada.email, password=PASSWORD)
    return client


def test_the_console_page_adds_and_changes_a_tool(ada: User) -> None:
    client = _admin_client(ada)
    listed = client.get("/admin/channels/remote/")
    assert listed.status_code == 200
    assert b"No remote tools yet" in listed.content
    new = client.post(
        "/admin/channels/remote/new",
        {
            "name": "TeamViewer",
            "kind": "link",
            "template": "https://get.teamviewer.com/?id={id}",
            "instructions_en": "Run it.",
            "instructions_ru": "Запустите.",
            "secret": SECRET,
            "active": "on",
        },
    )
    tool = RemoteTool.objects.get()
    assert new.status_code == 302
    assert new["Location"] == f"/admin/channels/remote/{tool.pk}/"
    page = client.get(new["Location"]).content.decode()
    assert SECRET not in page
    assert "data-secret-set" in page
    assert f"/channels/remote/{tool.pk}/events" in page
    # Saving with an empty secret keeps it.
    saved = client.post(
        f"/admin/channels/remote/{tool.pk}/",
        {"name": "TeamViewer QS", "kind": "link", "template": tool.template, "active": "on"},
    )
    assert saved.status_code == 302
    tool.refresh_from_db()
    assert (tool.name, tool.secret) == ("TeamViewer QS", SECRET)


def test_the_console_shows_a_refused_template_next_to_the_field(ada: User) -> None:
    client = _admin_client(ada)
    with nothing_written():
        answer = client.post(
            "/admin/channels/remote/new", {"name": "X", "kind": "link", "template": "nope"}
        )
    assert answer.status_code == 400
    assert "https://" in answer.content.decode()


def test_agents_cannot_open_the_console_page(alice: User) -> None:
    client = Client()
    assert client.login(username=alice.email, password=PASSWORD)
    assert client.get("/admin/channels/remote/").status_code == 403
