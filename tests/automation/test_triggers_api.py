"""/api/v1/triggers, /automations, /webhooks: admins only, checked input, audited."""

from __future__ import annotations

from opora.automation.models import Trigger
from opora.core.models import AdminChange
from tests.writes import nothing_written

TRIGGER = {
    "name": "VIP first",
    "event": "created",
    "conditions": [{"field": "vip", "operator": "is", "value": True}],
    "actions": [{"type": "priority", "value": "urgent"}],
}


def test_admins_create_list_reorder_and_delete_triggers(api, ada):
    admin = api(ada)
    first = admin.post("/triggers", TRIGGER)
    assert first.status_code == 201, first.content
    second = admin.post("/triggers", {**TRIGGER, "name": "Second"}).json()
    assert [t["name"] for t in admin.get("/triggers").json()] == ["VIP first", "Second"]
    ordered = admin.post("/triggers/order", {"ids": [second["id"], first.json()["id"]]})
    assert [t["name"] for t in ordered.json()] == ["Second", "VIP first"]
    changed = admin.client.put(
        f"/api/v1/triggers/{second['id']}",
        {**TRIGGER, "name": "Renamed", "active": False},
        content_type="application/json",
    )
    assert changed.json()["active"] is False
    assert admin.delete(f"/triggers/{second['id']}").status_code == 204
    assert AdminChange.objects.filter(area="automation").count() == 5


def test_bad_triggers_are_422_and_write_nothing(api, ada):
    admin = api(ada)
    with nothing_written():
        bad = admin.post("/triggers", {**TRIGGER, "actions": [{"type": "explode"}]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "actions.0.type"


def test_agents_are_refused(api, alice):
    agent = api(alice)
    with nothing_written():
        assert agent.post("/triggers", TRIGGER).status_code == 403
    assert agent.get("/triggers").status_code == 403
    assert Trigger.objects.count() == 0


def test_automations_and_webhooks(api, ada):
    admin = api(ada)
    rule = admin.post(
        "/automations",
        {"name": "Close", "status": "solved", "hours": 96, "action": "close"},
    )
    assert rule.status_code == 201, rule.content
    assert (
        admin.post(
            "/automations", {"name": "R", "status": "pending", "hours": 5, "action": "remind"}
        ).status_code
        == 422
    )  # a reminder needs its text
    hook = admin.post(
        "/webhooks", {"name": "CRM", "url": "http://127.0.0.1:9/x", "events": ["created"]}
    )
    assert hook.status_code == 201 and len(hook.json()["secret"]) >= 32
    hook_id = hook.json()["id"]
    assert "secret" not in admin.get(f"/webhooks/{hook_id}").json()
    tested = admin.post(f"/webhooks/{hook_id}/test").json()
    assert tested["state"] == "failed" and tested["error"]
    assert len(admin.get(f"/webhooks/{hook_id}/deliveries").json()) == 1
    assert admin.get("/webhooks/999999").status_code == 404
