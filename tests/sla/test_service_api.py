"""The service settings through /api/v1/sla/...: agents read, administrators change,
refusals write nothing, every change is in the audit trail."""

from __future__ import annotations

import pytest

from opora.core.models import AdminChange
from opora.core.tasks import run_queued_tasks
from opora.sla.models import BusinessCalendar, CalendarDay, SlaPolicy
from tests.writes import nothing_written

WEEK = {"1": [["09:00", "13:00"], ["14:00", "18:00"]], "2": [["09:00", "18:00"]]}


def test_an_admin_creates_a_calendar_with_a_split_day_and_holidays(api, ada):
    answer = api(ada).post(
        "/sla/calendars",
        {
            "name": "Support hours",
            "time_zone": "Asia/Yekaterinburg",
            "week": WEEK,
            "days": [{"date": "2026-01-01", "kind": "holiday", "note": "New Year"}],
        },
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["week"] == WEEK
    assert body["days"] == [{"date": "2026-01-01", "kind": "holiday", "note": "New Year"}]
    change = AdminChange.objects.get(area="service", action="created")
    assert change.target_label == "Support hours"


@pytest.mark.parametrize(
    ("week", "time_zone", "code", "field"),
    [
        ({"1": [["09:00", "13:00"], ["12:00", "18:00"]]}, "UTC", "overlapping_intervals", "week.1"),
        ({"3": [["18:00", "09:00"]]}, "UTC", "end_before_start", "week.3"),
        ({"1": [["9 am", "18:00"]]}, "UTC", "bad_time", "week.1"),
        (WEEK, "Mars/Olympus", "unknown_time_zone", "time_zone"),
    ],
)
def test_a_bad_calendar_is_refused_with_the_field_and_nothing_written(
    api, ada, week, time_zone, code, field
):
    client = api(ada)
    with nothing_written():
        answer = client.post(
            "/sla/calendars", {"name": "Bad", "time_zone": time_zone, "week": week}
        )
    assert answer.status_code == 422
    assert answer.json()["code"] == code
    assert answer.json()["errors"][0]["field"] == field


def test_agents_read_but_only_admins_write(api, alice, lena, office):
    for who in (alice, lena):
        client = api(who)
        assert client.get("/sla/calendars").status_code == 200
        assert client.get("/sla/policies").status_code == 200
        assert client.get("/sla/escalation-rules").status_code == 200
        assert client.get("/sla/line-names").status_code == 200
        with nothing_written(office):
            answers = [
                client.post("/sla/calendars", {"name": "Mine", "week": WEEK}),
                client.post(
                    "/sla/policies", {"name": "Mine", "calendar": office.pk, "priority": "high"}
                ),
                _put(client, "/sla/line-names", {"names": {"2": {"en": "Experts"}}}),
                client.post(f"/sla/calendars/{office.pk}/ru-production-calendar"),
                client.delete(f"/sla/calendars/{office.pk}"),
            ]
        assert [a.status_code for a in answers] == [403] * 5


def test_customers_cannot_read_the_settings(api, dana, office):
    assert api(dana).get("/sla/calendars").status_code == 403


def test_loading_the_production_calendar_fills_the_dates(api, ada):
    calendar = BusinessCalendar.objects.create(name="Plain")
    answer = api(ada).post(f"/sla/calendars/{calendar.pk}/ru-production-calendar")
    assert answer.status_code == 200
    assert answer.json()["years"] == [2025, 2026]
    assert CalendarDay.objects.get(calendar=calendar, date="2026-01-07").kind == "holiday"
    assert CalendarDay.objects.get(calendar=calendar, date="2025-11-01").kind == "short"
    assert AdminChange.objects.filter(action="loaded_production_calendar").count() == 1


def test_a_calendar_in_use_is_not_deleted(api, ada, policy, office):
    client = api(ada)
    with nothing_written(office):
        answer = client.delete(f"/sla/calendars/{office.pk}")
    assert answer.status_code == 422
    assert answer.json()["code"] == "calendar_in_use"


def _put(client, path, body):
    import json

    return client.client.put("/api/v1" + path, json.dumps(body), content_type="application/json")


def test_changing_a_policy_reclocks_open_tickets(
    api, ada, clock, policy, make_ticket, dana, django_capture_on_commit_callbacks
):
    ticket = make_ticket(dana)  # Monday 09:00 MSK: first response due at 13:00
    assert ticket.first_response_due_at.hour == 10  # 13:00 MSK in UTC
    client = api(ada)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _put(
            client,
            f"/sla/policies/{policy.pk}",
            {"name": "Standard", "calendar": policy.calendar_id, "first_response_minutes": 60},
        )
    assert answer.status_code == 200, answer.json()
    assert run_queued_tasks() >= 1
    ticket.refresh_from_db()
    assert ticket.first_response_due_at.hour == 7  # 10:00 MSK
    assert AdminChange.objects.filter(area="service", action="changed").exists()


def test_policies_are_reordered_enabled_and_deleted(api, ada, office, policy):
    client = api(ada)
    vip = client.post(
        "/sla/policies",
        {"name": "VIP", "calendar": office.pk, "priority": "urgent", "first_response_minutes": 30},
    ).json()
    assert [p["name"] for p in client.get("/sla/policies").json()] == ["Standard", "VIP"]
    ordered = client.post("/sla/policies/order", {"ids": [vip["id"], policy.pk]})
    assert [p["name"] for p in ordered.json()] == ["VIP", "Standard"]
    bad = client.post("/sla/policies/order", {"ids": [vip["id"]]})
    assert bad.status_code == 422
    assert client.delete(f"/sla/policies/{vip['id']}").status_code == 204
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Standard"]


def test_escalation_rules_crud(api, ada):
    client = api(ada)
    rule = client.post(
        "/sla/escalation-rules",
        {"name": "Urgent", "priority": "urgent", "to_level": "2", "reason": "Urgent ticket"},
    )
    assert rule.status_code == 201
    rid = rule.json()["id"]
    changed = _put(
        client,
        f"/sla/escalation-rules/{rid}",
        {"name": "Urgent", "to_level": "lead", "reason": "Urgent", "on_risk": True},
    )
    assert changed.json()["to_level"] == "lead"
    assert client.delete(f"/sla/escalation-rules/{rid}").status_code == 204
    assert AdminChange.objects.filter(area="service").count() == 3


def test_line_names_are_stored_and_shown(api, ada):
    answer = _put(
        api(ada), "/sla/line-names", {"names": {"2": {"en": "Experts", "ru": "Эксперты"}}}
    )
    assert answer.status_code == 200
    levels = {row["level"]: row for row in answer.json()}
    assert levels["2"]["label_ru"] == "Эксперты"
    assert levels["1"]["label_en"] == "1st line"


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/sla/calendars",
        "/api/v1/sla/calendars/{calendar_id}/ru-production-calendar",
        "/api/v1/sla/policies/order",
        "/api/v1/sla/escalation-rules/{rule_id}",
        "/api/v1/sla/line-names",
    ):
        assert path in paths
