"""The macros API: CRUD with the owner rules, preview and apply (all or nothing)."""

from __future__ import annotations

from opora.automation.models import Macro
from opora.tickets.models import Message
from tests.writes import nothing_written


def _new(client, **kw):
    body = {"title": "Waiting", "body_en": "Hi {{customer.first_name}}", **kw}
    return client.post("/macros", body)


def test_crud_of_a_personal_macro(api, alice):
    client = api(alice)
    made = _new(client, actions={"status": "pending", "add_tags": ["Wait"]})
    assert made.status_code == 201, made.content
    macro = made.json()
    assert macro["actions"] == {"status": "pending", "add_tags": ["wait"]}
    assert macro["editable"] is True
    assert [m["id"] for m in client.get("/macros").json()] == [macro["id"]]
    changed = client.client.put(
        f"/api/v1/macros/{macro['id']}",
        '{"title": "Later", "body_ru": "Позже"}',
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["title"] == "Later"
    assert client.delete(f"/macros/{macro['id']}").status_code == 204
    assert not Macro.objects.exists()


def test_unknown_placeholder_is_a_field_error(api, alice):
    answer = _new(api(alice), body_en="Dear {{customer.surname}}")
    assert answer.status_code == 422
    error = answer.json()
    assert error["code"] == "unknown_placeholder"
    assert "{{customer.surname}}" in error["detail"]
    assert error["errors"][0]["field"] == "body_en"
    assert not Macro.objects.exists()


def test_owner_rules(api, alice, lena, ada, support):
    assert _new(api(alice), owner_kind="shared").status_code == 403
    assert _new(api(alice), owner_kind="team", team=support.pk).status_code == 403
    assert _new(api(lena), owner_kind="team", team=support.pk).status_code == 201
    shared = _new(api(ada), owner_kind="shared").json()
    agent = api(alice)  # signing in writes a token: before the block
    with nothing_written(Macro.objects.get(pk=shared["id"])):
        assert agent.delete(f"/macros/{shared['id']}").status_code == 403
    assert not agent.get(f"/macros/{shared['id']}").json()["editable"]


def test_someone_elses_personal_macro_is_not_found(api, alice, bob):
    mine = _new(api(alice)).json()
    assert api(bob).get(f"/macros/{mine['id']}").status_code == 404
    assert api(bob).delete(f"/macros/{mine['id']}").status_code == 404


def test_preview_and_apply(api, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client = api(alice)
    macro = _new(client, actions={"status": "pending", "priority": "high"}).json()
    preview = client.post(f"/tickets/{ticket.number}/macros/{macro['id']}/preview")
    assert preview.status_code == 200, preview.content
    shown = preview.json()
    assert shown["body"] == "Hi Dana"
    assert [a["field"] for a in shown["actions"]] == ["status", "priority"]
    applied = client.post(f"/tickets/{ticket.number}/macros/{macro['id']}/apply", {})
    assert applied.status_code == 200, applied.content
    assert applied.json()["status"] == "pending"
    message = Message.objects.get(pk=applied.json()["message"])
    assert message.body == "Hi Dana"
    assert Macro.objects.get(pk=macro["id"]).usage_count == 1


def test_a_refused_apply_writes_nothing(api, alice, otto, dana, make_ticket):
    ticket = make_ticket(dana)
    client = api(alice)
    macro = _new(client, actions={"priority": "urgent", "assignee": otto.pk}).json()
    with nothing_written(ticket, Macro.objects.get(pk=macro["id"])):
        answer = client.post(f"/tickets/{ticket.number}/macros/{macro['id']}/apply", {})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "assignee"


def test_customers_get_no_macros(api, dana):
    assert api(dana).get("/macros").status_code == 403
