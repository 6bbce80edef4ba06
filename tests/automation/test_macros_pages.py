"""Macros on the pages: the console section (create, a field error, edit, delete, who
may) and the composer's send with a macro, all or nothing."""

from __future__ import annotations

from django.test import Client

from opora.automation.macros import MacroInput, create_macro
from opora.automation.models import Macro
from opora.core.models import AdminChange
from opora.tickets.models import Message
from tests.writes import nothing_written


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_agent_manages_her_macros_in_the_console(alice):
    client = _client(alice)
    assert client.get("/admin/macros/").status_code == 200
    refused = client.post(
        "/admin/macros/new", {"title": "Hi", "owner_kind": "personal", "body_en": "{{x.y}}"}
    )
    assert refused.status_code == 400
    assert "{{x.y}}" in refused.content.decode()
    assert not Macro.objects.exists()
    made = client.post(
        "/admin/macros/new",
        {"title": "Hi", "owner_kind": "personal", "body_en": "Hi", "status": "pending"},
    )
    assert made.status_code == 302
    macro = Macro.objects.get()
    assert (macro.owner_id, macro.actions) == (alice.pk, {"status": "pending"})
    page = client.get("/admin/macros/").content.decode()
    assert 'data-macro="Hi"' in page
    client.post(
        f"/admin/macros/{macro.pk}/",
        {"title": "Hello", "owner_kind": "personal", "body_en": "Hello"},
    )
    assert Macro.objects.get().title == "Hello"
    client.post(f"/admin/macros/{macro.pk}/delete")
    assert not Macro.objects.exists()
    assert AdminChange.objects.filter(area="macros").count() == 3


def test_an_agent_may_not_offer_a_shared_macro_nor_touch_anothers(alice, bob):
    client = _client(alice)
    refused = client.post(
        "/admin/macros/new", {"title": "All", "owner_kind": "shared", "body_en": "Hi"}
    )
    assert refused.status_code == 400
    assert not Macro.objects.exists()
    bobs = create_macro(MacroInput(title="Bob's", body_en="Hi"), by=bob)
    with nothing_written(bobs):
        assert client.post(f"/admin/macros/{bobs.pk}/delete").status_code == 404


def test_customers_are_refused(dana):
    assert _client(dana).get("/admin/macros/").status_code == 403


def test_sending_with_a_macro_applies_its_changes_or_nothing(alice, otto, dana, make_ticket):
    ticket = make_ticket(dana)
    client = _client(alice)
    good = create_macro(
        MacroInput(title="Wait", body_en="Hi", actions={"priority": "high"}), by=alice
    )
    bad = create_macro(
        MacroInput(title="Otto", body_en="Hi", actions={"assignee": otto.pk}), by=alice
    )
    url = f"/agent/tickets/{ticket.number}/reply"
    with nothing_written(ticket, bad):
        refused = client.post(url, {"kind": "reply", "body": "Edited", "macro": bad.pk})
    assert refused.status_code == 400
    sent = client.post(url, {"kind": "reply", "body": "Edited", "macro": good.pk})
    assert sent.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == 3
    assert Message.objects.filter(ticket=ticket, author=alice).get().body == "Edited"
    assert Macro.objects.get(pk=good.pk).usage_count == 1
