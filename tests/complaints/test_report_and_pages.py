"""The complaints report (its figures are the raw rows counted), the console's report
and settings pages, and the answer bot's silence on a complaint that matches an
article."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from opora.automation.bot import bot_user, configure_bot
from opora.automation.models import BotConversation
from opora.complaints import actions, report
from opora.complaints.models import Complaint
from opora.complaints.selectors import complaint_settings
from opora.core import clock
from opora.core.models import AdminChange
from opora.core.tasks import run_queued_tasks
from opora.kb import actions as kb
from tests.conftest import PASSWORD
from tests.writes import nothing_written

ANGRY = "Absolutely unacceptable, I want to file a complaint: the parcel arrived broken."


def _resolve(ticket, lead, cause, justified):
    actions.resolve(ticket, actions.Resolution(root_cause=cause, justified=justified), by=lead)


@pytest.fixture
def history(open_request, dana, charlie, lena):
    """Five complaints over three weeks: three resolved (one late), two open."""
    made = []
    start = clock.now() - timedelta(days=20)
    for days, who in [(0, dana), (3, charlie), (8, dana), (15, charlie), (19, charlie)]:
        with time_machine.travel(start + timedelta(days=days), tick=False):
            made.append(open_request(who, ANGRY))
    with time_machine.travel(start + timedelta(days=2), tick=False):
        _resolve(made[0], lena, "delivery", True)
    with time_machine.travel(start + timedelta(days=3 + 12), tick=False):  # late: 12 > 10
        _resolve(made[1], lena, "delivery", False)
    with time_machine.travel(start + timedelta(days=9), tick=False):
        _resolve(made[2], lena, "billing", True)
    return made


def test_the_report_counts_the_raw_rows(history):
    today = clock.now().date()
    found = report.build(today - timedelta(days=30), today)
    rows = list(Complaint.objects.filter(dismissed_at__isnull=True))
    assert found.opened == len(rows) == 5
    assert found.resolved == sum(1 for r in rows if r.resolved_at) == 3
    assert {c.key: c.count for c in found.by_root_cause} == {"delivery": 2, "billing": 1}
    assert (found.justified, found.not_justified) == (2, 1)
    assert found.justified_share == round(2 / 3, 4)
    assert (found.on_time, found.late) == (2, 1)
    assert found.overdue_open == sum(
        1 for r in rows if r.resolved_at is None and r.due_at < clock.now()
    )
    assert sum(w.opened for w in found.weeks) == 5
    assert sum(w.resolved for w in found.weeks) == 3
    hours = sorted(
        (r.resolved_at - r.opened_at).total_seconds() / 3600 for r in rows if r.resolved_at
    )
    assert found.median_hours_to_resolve == round(hours[1], 1)


def test_the_report_api_matches_the_page(history, api, client, lena, alice):
    answer = api(lena).get("/complaints/report").json()
    assert answer["opened"] == 5
    assert answer["by_root_cause"][0] == {
        "key": "delivery",
        "name": "Delivery",
        "count": 2,
        "justified": 1,
    }
    assert api(alice).get("/complaints/report").status_code == 403
    assert (
        api(lena)
        .get("/complaints/report", {"start": "2026-05-02", "end": "2026-05-01"})
        .status_code
        == 422
    )
    client.login(email=lena.email, password=PASSWORD)
    page = client.get("/admin/complaints/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="opened"><b>5</b>' in html
    assert 'data-cause="delivery"' in html


def test_the_report_page_in_russian(history, client, lena):
    lena.language = "ru"
    lena.save(update_fields=["language"])
    client.login(email=lena.email, password=PASSWORD)
    html = client.get("/admin/complaints/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Доставка" in html


def test_agents_may_not_open_the_complaint_pages(client, alice, lena):
    client.login(email=alice.email, password=PASSWORD)
    assert client.get("/admin/complaints/").status_code == 403
    client.login(email=lena.email, password=PASSWORD)
    assert client.get("/admin/complaints/settings").status_code == 403


def test_the_settings_page_saves_and_audits(client, ada, billing):
    client.login(email=ada.email, password=PASSWORD)
    assert client.get("/admin/complaints/settings").status_code == 200
    saved = client.post(
        "/admin/complaints/settings",
        {
            "form": "settings",
            "deadline_days": "14",
            "reminder_hours": "72, 24",
            "team": str(billing.pk),
            "repeat_threshold": "2",
            "repeat_days": "60",
            "detection_threshold": "0.6",
        },
    )
    assert saved.status_code == 302
    rules = complaint_settings()
    assert (rules.deadline_days, rules.reminder_hours, rules.team_id) == (14, [72, 24], billing.pk)
    assert AdminChange.objects.filter(area="complaints").count() == 1
    added = client.post(
        "/admin/complaints/settings",
        {"form": "add_cause", "key": "warehouse", "name_en": "Warehouse", "name_ru": "Склад"},
    )
    assert added.status_code == 302
    with nothing_written():
        refused = client.post(
            "/admin/complaints/settings",
            {"form": "settings", "deadline_days": "0", "reminder_hours": "24"},
        )
    assert refused.status_code == 422
    assert "between" in refused.content.decode()


def test_the_bot_stays_quiet_on_a_complaint_that_matches_an_article(
    open_request, dana, alice, lena
):
    kb.create_article(
        by=alice,
        title="Parcel arrived broken",
        body="If a parcel arrived broken, keep the box and photograph the damage. "
        "Then request a replacement from your orders page.",
        status="published",
    )
    configure_bot(team_id=None, enabled=True, threshold=0.1)
    # The same question without the complaint's words gets the article.
    plain = open_request(
        dana, "The parcel arrived broken, what should I do?", subject="Parcel arrived broken"
    )
    run_queued_tasks()
    assert plain.messages.filter(author=bot_user()).exists()
    angry = open_request(dana, ANGRY, subject="Parcel arrived broken")
    run_queued_tasks()
    assert not angry.messages.filter(author=bot_user()).exists()
    assert BotConversation.objects.get(ticket=angry).reason == "complaint"
