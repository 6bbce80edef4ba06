"""The audit log: changes recorded by the settings' actions, read in the console and
through `GET /api/v1/audit` with filters, pages and a CSV export (admins only)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.test import Client

from opora.accounts.oidc import MappingFields, delete_group_mapping, save_group_mapping
from opora.accounts.twofactor import set_two_factor_policy
from opora.chat.actions import set_capacity
from opora.chat.widgets import WidgetFields, change_widget_key, save_widget
from opora.core import audit
from opora.core.models import AdminChange
from opora.inbox.email import actions as mailboxes
from tests.writes import nothing_written


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_settings_of_today_record_their_changes(ada, alice, support):
    widget = save_widget(None, WidgetFields(name="Shop", team_id=support.pk), by=ada)
    save_widget(widget, WidgetFields(greeting_en="Hello!"), by=ada)
    change_widget_key(widget, by=ada, key="shop-key")
    set_capacity(alice, 4, by=ada)
    set_two_factor_policy(agents_required=True, admins_required=False, by=ada)
    mapping = save_group_mapping(None, MappingFields("helpdesk", "agent", 1, [support.pk]), by=ada)
    save_group_mapping(mapping, MappingFields("helpdesk", "admin", None, [support.pk]), by=ada)
    delete_group_mapping(mapping, by=ada)
    rows = [
        (c.area, c.action, c.target_type)
        # (the cast's accounts and teams were made through the people actions: not ours)
        for c in AdminChange.objects.exclude(area="people")
        .exclude(target_type="team")
        .order_by("id")
    ]
    assert rows == [
        ("channels", "created", "chatwidget"),
        ("channels", "changed", "chatwidget"),
        ("channels", "changed", "chatwidget"),
        ("channels", "changed", "chat_capacity"),
        ("security", "changed", "sign_in_policy"),
        ("security", "created", "sso_mapping"),
        ("security", "changed", "sso_mapping"),
        ("security", "deleted", "sso_mapping"),
    ]
    greeting = (
        AdminChange.objects.filter(target_type="chatwidget", action="changed")
        .order_by("id")
        .first()
    )
    assert greeting is not None and greeting.changes == {"greeting_en": ["", "Hello!"]}
    role = AdminChange.objects.get(target_type="sso_mapping", action="changed")
    assert role.changes["role"] == ["agent", "admin"] and role.target_label == "helpdesk"


@pytest.fixture
def trail(ada, lena, support):
    """Five changes by two people in two areas on three days."""
    moments = [datetime(2026, 4, d, 10, tzinfo=UTC) for d in (1, 2, 2, 3, 3)]
    made = [
        audit.record_change(actor=ada, area="channels", action="created", target=support),
        audit.record_change(
            actor=ada,
            area="channels",
            action="changed",
            target_type="mailbox",
            target_id=7,
            label="help@desk.test",
            changes={"language": ["en", "ru"]},
        ),
        audit.record_change(
            actor=lena,
            area="bot",
            action="changed",
            target_type="bot_settings",
            target_id=1,
            label="Support",
            changes={"threshold": [0.5, 0.7]},
        ),
        audit.record_change(
            actor=ada,
            area="security",
            action="changed",
            target_type="sign_in_policy",
            target_id=1,
            label='=HYPERLINK("http://evil")',
            changes={"agents_required": [False, True]},
        ),
        audit.record_change(
            actor=lena,
            area="bot",
            action="changed",
            target_type="bot_settings",
            target_id=1,
            label="Support",
            changes={"enabled": [False, True]},
        ),
    ]
    for change, moment in zip(made, moments, strict=True):
        assert change is not None
        AdminChange.objects.filter(pk=change.pk).update(at=moment)
    return made


def test_the_api_filters_and_pages_newest_first(trail, api, ada, lena):
    admin = api(ada)
    # the trail's days only: making the cast's accounts was audited too, today
    everything = admin.get("/audit", {"start": "2026-04-01", "end": "2026-04-03"}).json()["items"]
    ids = [row["id"] for row in everything]
    assert ids[:5] == [trail[4].pk, trail[3].pk, trail[2].pk, trail[1].pk, trail[0].pk]
    assert [r["id"] for r in admin.get("/audit", {"area": "bot"}).json()["items"]] == [
        trail[4].pk,
        trail[2].pk,
    ]
    by_lena = admin.get("/audit", {"actor": lena.pk}).json()["items"]
    assert {r["actor"]["email"] for r in by_lena} == {"lena@desk.test"}
    mailbox = admin.get("/audit", {"target_type": "mailbox"}).json()["items"]
    assert mailbox[0]["changes"] == {"language": ["en", "ru"]}
    day = admin.get("/audit", {"start": "2026-04-02", "end": "2026-04-02"}).json()["items"]
    assert [r["id"] for r in day] == [trail[2].pk, trail[1].pk]
    # pages of two, following the cursor, give every row once
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "start": "2026-04-01", "end": "2026-04-03"}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/audit", params).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [c.pk for c in reversed(trail)]
    assert admin.get("/audit", {"cursor": "nonsense"}).status_code == 422


def test_only_admins_read_the_audit_log(trail, api, lena, alice):
    lead, agent, browser = api(lena), api(alice), signed_in(lena)
    with nothing_written():
        assert lead.get("/audit").status_code == 403
        assert agent.get("/audit").status_code == 403
        assert browser.get("/admin/audit/").status_code == 403
        assert browser.get("/admin/audit/export.csv").status_code == 403


def test_the_console_page_filters_and_shows_before_and_after(trail, ada, lena):
    admin = signed_in(ada)
    page = admin.get("/admin/audit/", {"area": "bot"}).content.decode()
    assert f'data-change="{trail[4].pk}"' in page and f'data-change="{trail[1].pk}"' not in page
    assert "<del>0.5</del> → <ins>0.7</ins>" in page and "Lena" in page
    linked = admin.get("/admin/audit/", {"target_type": "mailbox"}).content.decode()
    assert 'href="/admin/channels/mailboxes/7/"' in linked
    ranged = admin.get("/admin/audit/", {"start": "2026-04-03", "end": "2026-04-03"})
    assert f'data-change="{trail[3].pk}"' in ranged.content.decode()
    assert f'data-change="{trail[0].pk}"' not in ranged.content.decode()
    # a bad date is ignored rather than refused with a 500
    assert admin.get("/admin/audit/", {"start": "2026-13-45", "before": "x_y"}).status_code == 200


def test_the_csv_export_follows_the_filter_and_defuses_formulas(trail, ada):
    answer = signed_in(ada).get("/admin/audit/export.csv", {"area": "security"})
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.getvalue().decode())))
    assert rows[0][:4] == ["at", "actor", "area", "action"]
    assert len(rows) == 2 and rows[1][2] == "security"
    assert rows[1][6].startswith("'=")  # a spreadsheet shows it, does not run it


def test_a_mailbox_change_through_the_api_is_recorded(api, ada):
    created = api(ada).post("/mailboxes", {"address": "help@desk.test"}).json()
    api(ada).patch(f"/mailboxes/{created['id']}", {"language": "ru"})
    change = AdminChange.objects.get(target_type="mailbox", action="changed")
    assert change.changes == {"language": ["en", "ru"]} and change.actor == ada
    # a refused change writes no record either
    admin = api(ada)
    with nothing_written():
        bad = admin.patch(f"/mailboxes/{created['id']}", {"imap_port": 0})
    assert bad.status_code == 422
    assert mailboxes.EDITABLE  # the fields a record can name
