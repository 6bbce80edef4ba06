"""The console's Automation section: triggers, time rules and webhooks made, changed,
ordered, switched and deleted by an admin (each change in the audit log); errors shown
beside the row or field they concern; agents, team leads and customers refused with
nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from opora.automation import triggers
from opora.automation.automations import save_automation
from opora.automation.models import (
    Automation,
    AutomationRun,
    DeliveryState,
    Trigger,
    TriggerRun,
    Webhook,
    WebhookDelivery,
)
from opora.automation.webhooks import save_webhook
from opora.core import clock
from opora.core.models import AdminChange
from opora.core.tasks import run_queued_tasks
from tests.automation.test_webhooks import Receiver
from tests.writes import nothing_written


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def audited_actions() -> list[str]:
    changes = AdminChange.objects.filter(area="automation").order_by("id")
    return list(changes.values_list("action", flat=True))


def _trigger(ada: Any, name: str, **extra: Any) -> Trigger:
    values = {
        "event": "created",
        "conditions": [],
        "actions": [{"type": "add_tags", "value": [name]}],
    }
    return triggers.save_trigger(by=ada, name=name, **(values | extra))


def _trigger_post(**extra: str) -> dict[str, str]:
    return {
        "name": "Printers",
        "event": "created",
        "match": "all",
        "active": "on",
        "c-0-field": "subject",
        "c-0-operator": "contains",
        "c-0-value": "printer",
        "c-3-field": "status",
        "c-3-operator": "in",
        "a-0-type": "priority",
        "a-0-value": "high",
        "a-1-type": "add_tags",
        "a-1-value": "printer, hardware",
        **extra,
    }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


# --- Triggers -------------------------------------------------------------------------


def test_an_admin_makes_a_trigger_from_rows(ada: Any) -> None:
    client = _client(ada)
    page = client.get("/admin/automation/triggers/new")
    assert page.status_code == 200
    assert 'id="automation-vocabulary"' in page.content.decode()
    post = _trigger_post() | {"c-3-value": "new"}
    made = client.post("/admin/automation/triggers/new", post)
    assert made.status_code == 302
    trigger = Trigger.objects.get()
    assert (trigger.name, trigger.event, trigger.match, trigger.active) == (
        "Printers",
        "created",
        "all",
        True,
    )
    assert trigger.conditions == [
        {"field": "subject", "operator": "contains", "value": "printer"},
        {"field": "status", "operator": "in", "value": ["new"]},
    ]
    assert trigger.actions == [
        {"type": "priority", "value": "high"},
        {"type": "add_tags", "value": ["printer", "hardware"]},
    ]
    audit = AdminChange.objects.get(area="automation", target_type="trigger")
    assert (audit.action, audit.actor_id) == ("created", ada.pk)


def test_the_editor_shows_the_desks_values_and_what_is_stored(
    ada: Any, support: Any, alice: Any
) -> None:
    trigger = _trigger(
        ada,
        "Team",
        conditions=[{"field": "team", "operator": "is", "value": support.pk}],
        actions=[
            {"type": "assign_person", "value": alice.pk},
            {"type": "notify", "value": {"to": "admins", "subject": "Hi", "body": "See"}},
        ],
    )
    page = _client(ada).get(f"/admin/automation/triggers/{trigger.pk}/").content.decode()
    assert f'<option value="{support.pk}" selected>Support</option>' in page
    assert f'<option value="{alice.pk}" selected>{alice.display_name}</option>' in page
    assert '<option value="admins" selected>' in page
    assert 'name="a-1-body"' in page


def test_a_bad_row_is_shown_beside_it_and_nothing_is_saved(ada: Any) -> None:
    client = _client(ada)
    post = _trigger_post() | {"c-3-value": "new", "a-1-type": "status", "a-1-value": "lost"}
    with nothing_written():
        refused = client.post("/admin/automation/triggers/new", post)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "The action&#x27;s value is not valid." in page
    # The second action row (index 1) carries the error, the first does not.
    second = page.index('data-row="action" data-index="1"')
    assert page.index("data-row-error", second) > second
    assert page.count("data-row-error") == 1
    # What was written stays in the form.
    assert 'value="printer"' in page
    no_actions = {k: v for k, v in post.items() if not k.startswith("a-")}
    refused = client.post("/admin/automation/triggers/new", no_actions)
    assert "A trigger needs at least one action." in refused.content.decode()
    unnamed = client.post("/admin/automation/triggers/new", post | {"name": " "})
    assert "Give the trigger a name." in unnamed.content.decode()
    assert not Trigger.objects.exists()


def test_an_admin_edits_orders_switches_and_deletes_triggers(ada: Any, make_ticket: Any) -> None:
    client = _client(ada)
    first, second = _trigger(ada, "First"), _trigger(ada, "Second")
    edited = client.post(
        f"/admin/automation/triggers/{first.pk}/",
        _trigger_post(name="First, renamed") | {"c-3-value": "open"},
    )
    assert edited.status_code == 302
    first.refresh_from_db()
    assert first.name == "First, renamed"
    assert first.conditions[1] == {"field": "status", "operator": "in", "value": ["open"]}

    moved = client.post(f"/admin/automation/triggers/{second.pk}/move", {"direction": "up"})
    assert moved.status_code == 302
    assert moved["Location"].endswith(f"#trigger-{second.pk}")
    order = list(Trigger.objects.order_by("position").values_list("name", flat=True))
    assert order == ["Second", "First, renamed"]

    client.post(f"/admin/automation/triggers/{second.pk}/toggle", {"active": "0"})
    assert not Trigger.objects.get(pk=second.pk).active
    page = client.get("/admin/automation/").content.decode()
    assert page.index('data-trigger="Second"') < page.index('data-trigger="First, renamed"')
    assert 'aria-checked="false"' in page

    client.post(f"/admin/automation/triggers/{second.pk}/delete")
    assert list(Trigger.objects.values_list("name", flat=True)) == ["First, renamed"]
    actions = audited_actions()
    assert actions == ["created", "created", "changed", "reordered", "changed", "deleted"]


def test_the_list_counts_this_weeks_firings_and_the_log_pages_them(
    ada: Any, dana: Any, make_ticket: Any
) -> None:
    trigger = _trigger(ada, "Counted")
    ticket = make_ticket(dana)
    now = clock.now()
    TriggerRun.objects.bulk_create(
        [
            TriggerRun(trigger=trigger, ticket=ticket, event="created", event_key=f"k{i}", at=at)
            for i, at in enumerate(
                [now - timedelta(days=10)] + [now - timedelta(minutes=i) for i in range(59)]
            )
        ]
    )
    client = _client(ada)
    page = client.get("/admin/automation/").content.decode()
    assert "data-fired>59</a>" in page
    log = client.get(f"/admin/automation/triggers/{trigger.pk}/runs")
    assert log.content.decode().count("data-run>") == 50
    assert f"/agent/tickets/{ticket.number}" in log.content.decode()
    rest = client.get(f"/admin/automation/triggers/{trigger.pk}/runs?page=2")
    assert rest.content.decode().count("data-run>") == 10


# --- Time rules -----------------------------------------------------------------------


def _rule_post(**extra: str) -> dict[str, str]:
    return {
        "name": "Nudge",
        "status": "pending",
        "hours": "48",
        "business_hours": "business",
        "action": "remind",
        "message": "Any news on #{{ ticket.number }}?",
        "active": "on",
        **extra,
    }


def test_an_admin_manages_time_rules(ada: Any, dana: Any, make_ticket: Any) -> None:
    client = _client(ada)
    assert client.get("/admin/automation/rules/new").status_code == 200
    with nothing_written():
        refused = client.post("/admin/automation/rules/new", _rule_post(message=""))
    assert refused.status_code == 400
    assert "A reminder needs its text." in refused.content.decode()
    with nothing_written():
        refused = client.post("/admin/automation/rules/new", _rule_post(hours="0"))
    assert "Hours must be between 1 and 8760." in refused.content.decode()

    assert client.post("/admin/automation/rules/new", _rule_post()).status_code == 302
    nudge = Automation.objects.get()
    assert (nudge.status, nudge.hours, nudge.business_hours, nudge.action) == (
        "pending",
        48,
        True,
        "remind",
    )
    close = save_automation(
        by=ada, name="Close", status="solved", hours=72, action="close", message=""
    )
    client.post(f"/admin/automation/rules/{nudge.pk}/", _rule_post(name="Nudge twice"))
    assert Automation.objects.get(pk=nudge.pk).name == "Nudge twice"
    client.post(f"/admin/automation/rules/{close.pk}/move", {"direction": "up"})
    assert list(Automation.objects.order_by("position").values_list("pk", flat=True)) == [
        close.pk,
        nudge.pk,
    ]
    client.post(f"/admin/automation/rules/{close.pk}/toggle", {"active": "0"})
    assert not Automation.objects.get(pk=close.pk).active
    page = client.get("/admin/automation/rules/").content.decode()
    assert page.index('data-rule="Close"') < page.index('data-rule="Nudge twice"')

    ticket = make_ticket(dana)
    AutomationRun.objects.create(
        automation=nudge, ticket=ticket, period_start=clock.now(), result="applied"
    )
    log = client.get(f"/admin/automation/rules/{nudge.pk}/runs").content.decode()
    assert log.count("data-run>") == 1
    client.post(f"/admin/automation/rules/{close.pk}/delete")
    assert list(Automation.objects.values_list("name", flat=True)) == ["Nudge twice"]
    actions = audited_actions()
    assert actions == ["created", "created", "changed", "reordered", "changed", "deleted"]


# --- Webhooks -------------------------------------------------------------------------


def test_an_admin_makes_a_webhook_and_sees_its_secret_once(ada: Any) -> None:
    client = _client(ada)
    with nothing_written():
        refused = client.post(
            "/admin/automation/webhooks/new", {"name": "CRM", "url": "ftp://x", "events": []}
        )
    assert refused.status_code == 400
    assert "The URL must start with https:// or http://." in refused.content.decode()
    made = client.post(
        "/admin/automation/webhooks/new",
        {"name": "CRM", "url": "https://crm.example/hook", "events": ["created", "solved"]},
    )
    assert made.status_code == 200
    hook = Webhook.objects.get()
    assert (hook.events, hook.active) == (["created", "solved"], False)
    assert hook.secret in made.content.decode()
    assert hook.secret not in client.get(f"/admin/automation/webhooks/{hook.pk}/").content.decode()

    old = hook.secret
    again = client.post(f"/admin/automation/webhooks/{hook.pk}/secret")
    hook.refresh_from_db()
    assert hook.secret != old
    assert hook.secret in again.content.decode()

    client.post(
        f"/admin/automation/webhooks/{hook.pk}/",
        {"name": "CRM", "url": "https://crm.example/v2", "events": ["updated"], "active": "on"},
    )
    hook.refresh_from_db()
    assert (hook.url, hook.events, hook.active) == ("https://crm.example/v2", ["updated"], True)
    client.post(f"/admin/automation/webhooks/{hook.pk}/toggle", {"active": "0"})
    assert not Webhook.objects.get(pk=hook.pk).active
    client.post(f"/admin/automation/webhooks/{hook.pk}/delete")
    assert not Webhook.objects.exists()
    changes = AdminChange.objects.filter(area="automation").order_by("id")
    assert list(changes.values_list("action", flat=True)) == [
        "created",
        "changed",
        "changed",
        "changed",
        "deleted",
    ]
    assert all(old not in str(c.changes) for c in changes)


def test_send_test_shows_the_answer_and_a_failed_delivery_is_sent_again(
    ada: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook = save_webhook(by=ada, name="CRM", url=receiver.url, events=["created"])
    client = _client(ada)
    receiver.answers = [404]
    tested = client.post(f"/admin/automation/webhooks/{hook.pk}/test", follow=True)
    page = tested.content.decode()
    assert "The test failed: HTTP 404" in page
    assert 'data-state="failed"' in page and "boom" in page
    failed = WebhookDelivery.objects.get()
    delivered = client.post(f"/admin/automation/webhooks/{hook.pk}/test", follow=True)
    assert "The test was delivered: HTTP 200." in delivered.content.decode()
    assert len(receiver.requests) == 2

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/admin/automation/deliveries/{failed.pk}/again")
    again = client.get(again["Location"])
    assert "Queued to be delivered again." in again.content.decode()
    resent = WebhookDelivery.objects.order_by("-id").first()
    assert resent is not None
    assert (resent.event, resent.state) == ("test", DeliveryState.QUEUED)
    assert "data-next-try" in again.content.decode()
    run_queued_tasks()
    resent.refresh_from_db()
    assert resent.state == DeliveryState.DELIVERED
    with nothing_written():
        refused = client.post(f"/admin/automation/deliveries/{resent.pk}/again", follow=True)
    assert "Only a failed delivery can be delivered again." in refused.content.decode()
    assert AdminChange.objects.filter(area="automation", action="resent").count() == 1


# --- Who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "lena", "dana"])
def test_only_admins_open_or_change_automation(
    request: Any, ada: Any, dana: Any, make_ticket: Any, who: str
) -> None:
    person = request.getfixturevalue(who)
    trigger = _trigger(ada, "Kept")
    rule = save_automation(by=ada, name="Rule", status="solved", hours=5, action="close")
    hook = save_webhook(by=ada, name="CRM", url="https://crm.example/", events=["created"])
    client = _client(person)
    for path in (
        "/admin/automation/",
        "/admin/automation/triggers/new",
        f"/admin/automation/triggers/{trigger.pk}/",
        f"/admin/automation/triggers/{trigger.pk}/runs",
        "/admin/automation/rules/",
        f"/admin/automation/rules/{rule.pk}/",
        "/admin/automation/webhooks/",
        f"/admin/automation/webhooks/{hook.pk}/deliveries",
    ):
        assert client.get(path).status_code == 403, path
    posts = {
        "/admin/automation/triggers/new": _trigger_post() | {"c-3-value": "new"},
        f"/admin/automation/triggers/{trigger.pk}/": _trigger_post(),
        f"/admin/automation/triggers/{trigger.pk}/move": {"direction": "up"},
        f"/admin/automation/triggers/{trigger.pk}/toggle": {"active": "0"},
        f"/admin/automation/triggers/{trigger.pk}/delete": {},
        "/admin/automation/rules/new": _rule_post(),
        f"/admin/automation/rules/{rule.pk}/toggle": {"active": "0"},
        f"/admin/automation/rules/{rule.pk}/delete": {},
        "/admin/automation/webhooks/new": {"name": "X", "url": "https://x", "events": "created"},
        f"/admin/automation/webhooks/{hook.pk}/secret": {},
        f"/admin/automation/webhooks/{hook.pk}/test": {},
        f"/admin/automation/webhooks/{hook.pk}/delete": {},
    }
    with nothing_written(trigger, rule, hook):
        for path, data in posts.items():
            assert client.post(path, data).status_code == 403, path


def test_a_visitor_is_sent_to_sign_in(db: None) -> None:
    answer = Client().get("/admin/automation/")
    assert answer.status_code == 302
    assert "/signin" in answer["Location"]


def test_the_sidebar_lists_the_section_for_admins_only(ada: Any, alice: Any) -> None:
    assert 'data-section="automation"' in _client(ada).get("/admin/macros/").content.decode()
    assert 'data-section="automation"' not in _client(alice).get("/admin/macros/").content.decode()
