"""The console's Service pages: the calendar editor's validation and preview, the
production calendar button, policies re-clocking tickets, team leads reading only."""

from __future__ import annotations

import pytest

from opora.core.tasks import run_queued_tasks
from opora.sla.models import BusinessCalendar, CalendarDay, EscalationRule, SlaPolicy
from tests.writes import nothing_written

PAGES = [
    "/admin/service/",
    "/admin/service/calendars/new",
    "/admin/service/policies/",
    "/admin/service/policies/new",
    "/admin/service/rules/",
    "/admin/service/rules/new",
    "/admin/service/lines",
]


def _calendar_form(**changes):
    form = {
        "name": "Support hours",
        "time_zone": "Europe/Moscow",
        "start-1": ["09:00", "14:00"],
        "end-1": ["13:00", "18:00"],
        "start-2": ["09:00"],
        "end-2": ["18:00"],
        "closed-6": "on",
        "closed-7": "on",
        "day-date": ["2026-03-09"],
        "day-kind": ["holiday"],
        "day-note": ["Women's Day"],
    }
    form.update(changes)
    return form


def test_every_page_opens_for_an_admin(client, ada, policy):
    client.force_login(ada)
    for page in [*PAGES, f"/admin/service/policies/{policy.pk}/"]:
        assert client.get(page).status_code == 200, page


def test_an_admin_creates_a_calendar_with_two_intervals_a_day(client, ada):
    client.force_login(ada)
    answer = client.post("/admin/service/calendars/new", _calendar_form())
    assert answer.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Support hours")
    assert calendar.week == {
        "1": [["09:00", "13:00"], ["14:00", "18:00"]],
        "2": [["09:00", "18:00"]],
    }
    assert CalendarDay.objects.get(calendar=calendar).name == "Women's Day"
    page = client.get(answer["Location"])
    assert "Next 7 days" in page.content.decode()


def test_overlapping_intervals_are_shown_beside_the_day(client, ada):
    client.force_login(ada)
    with nothing_written():
        answer = client.post(
            "/admin/service/calendars/new",
            _calendar_form(**{"start-1": ["09:00", "12:00"], "end-1": ["13:00", "18:00"]}),
        )
    assert answer.status_code == 400
    assert "09:00-13:00 and 12:00-18:00 overlap." in answer.content.decode()
    assert "data-day-errors" in answer.content.decode()


def test_end_before_start_and_unknown_zone(client, ada):
    client.force_login(ada)
    answer = client.post(
        "/admin/service/calendars/new",
        _calendar_form(**{"start-2": ["18:00"], "end-2": ["09:00"], "time_zone": "Nowhere/City"}),
    )
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "the end must come after the start" in text
    assert "Choose a time zone from the list." in text


def test_the_production_calendar_button_fills_the_dates(client, ada, office):
    CalendarDay.objects.filter(calendar=office).delete()
    client.force_login(ada)
    answer = client.post(f"/admin/service/calendars/{office.pk}/load-ru")
    assert answer.status_code == 302
    assert CalendarDay.objects.filter(calendar=office, date="2026-05-11", kind="holiday").exists()


def test_saving_a_policy_reclocks_open_tickets(
    client, ada, clock, policy, make_ticket, dana, django_capture_on_commit_callbacks
):
    ticket = make_ticket(dana)
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/admin/service/policies/{policy.pk}/",
            {
                "name": "Standard",
                "calendar": str(policy.calendar_id),
                "first_response_hours": "1",
                "first_response_mins": "30",
                "resolution_hours": "16",
                "is_active": "on",
            },
        )
    assert answer.status_code == 302
    policy.refresh_from_db()
    assert policy.first_response_minutes == 90
    assert policy.next_response_minutes is None
    run_queued_tasks()
    ticket.refresh_from_db()
    assert ticket.first_response_due_at.hour == 7 and ticket.first_response_due_at.minute == 30


def test_policies_move_toggle_and_delete(client, ada, office, policy):
    other = SlaPolicy.objects.create(name="VIP", position=200, calendar=office)
    client.force_login(ada)
    client.post(f"/admin/service/policies/{other.pk}/move", {"direction": "up"})
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["VIP", "Standard"]
    client.post(f"/admin/service/policies/{other.pk}/toggle", {"active": "0"})
    other.refresh_from_db()
    assert not other.is_active
    client.post(f"/admin/service/policies/{other.pk}/delete")
    assert not SlaPolicy.objects.filter(pk=other.pk).exists()


def test_an_admin_adds_an_escalation_rule_and_names_the_lines(client, ada, bob, make_ticket, dana):
    client.force_login(ada)
    answer = client.post(
        "/admin/service/rules/new",
        {"name": "Urgent", "priority": "4", "to_level": "2", "reason": "Urgent", "is_active": "on"},
    )
    assert answer.status_code == 302
    assert EscalationRule.objects.get().priority == 4
    client.post("/admin/service/lines", {"en-2": "Experts", "ru-2": "Эксперты"})
    ticket = make_ticket(dana)
    ticket.line = 2
    ticket.save(update_fields=["line"])
    page = client.get(f"/agent/tickets/{ticket.number}")
    assert "Experts" in page.content.decode()


@pytest.mark.parametrize("who", ["lena"])
def test_team_leads_read_but_cannot_change(client, who, request, policy, office):
    client.force_login(request.getfixturevalue(who))
    for page in [PAGES[0], PAGES[2], PAGES[4], PAGES[6]]:
        assert client.get(page).status_code == 200, page
    with nothing_written(policy, office):
        answers = [
            client.post("/admin/service/calendars/new", _calendar_form()),
            client.post(f"/admin/service/policies/{policy.pk}/delete"),
            client.post(f"/admin/service/calendars/{office.pk}/load-ru"),
            client.post("/admin/service/lines", {"en-2": "Experts"}),
        ]
    assert [a.status_code for a in answers] == [403] * 4


def test_agents_and_customers_are_kept_out(client, alice, dana):
    for user in (alice, dana):
        client.force_login(user)
        assert client.get("/admin/service/").status_code == 403
