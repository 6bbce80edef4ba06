"""Every KPI on a hand-built week of tickets, with the number a lead would compute by hand.

Moscow office hours (Mon-Fri 09:00-18:00), targets 4 h first response / 16 h resolution.
  T1 email normal   Mon 09:00, reply 10:00, solved 12:00; 30 min by Alice; rated 5
  T2 web high inc.  Mon 10:00, reply 12:00, pending; customer Wed 09:00, reply 10:00,
                    solved 11:00; rated 3
  T3 email urgent   Tue 09:00, escalated to line 2 at 10:00, Bob replies 11:00,
     incident       solved Thu 12:00 (21 business hours: breached); 60 min by Bob
  T4 chat normal    Wed 09:00, reply 09:30, solved 10:00, customer reopens 11:00,
                    solved 12:00
  T5 email normal   Thu 09:00, never answered (backlog, overdue by Friday 16:00)
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from opora.accounts.models import User
from opora.feedback.actions import rate_ticket
from opora.feedback.tasks import send_rating_request
from opora.sla.actions import escalate_ticket
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from tests.reports.conftest import msk

PERIOD = {"start": "2026-03-02", "end": "2026-03-06"}


def _solve(ticket, agent):
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=agent)
    send_rating_request.call(ticket.pk)


@pytest.fixture
def week(policy, make_ticket, dana, dave, alice, bob, lena, clock):
    User.objects.filter(pk=alice.pk).update(cost_per_hour=Decimal("1200"))
    User.objects.filter(pk=bob.pk).update(cost_per_hour=Decimal("1800"))
    alice.refresh_from_db()
    bob.refresh_from_db()
    at = clock.move_to
    # T1
    at(msk(2026, 3, 2, 9, 0))
    t1 = make_ticket(dana, by=alice, channel="email", subject="T1")
    at(msk(2026, 3, 2, 10, 0))
    actions.add_message(t1, by=alice, body="Restart the spooler.")
    actions.log_time(t1, by=alice, minutes=30)
    at(msk(2026, 3, 2, 12, 0))
    _solve(t1, alice)
    rate_ticket(t1, by=dana, score=5, comment="Great")
    # T2
    at(msk(2026, 3, 2, 10, 0))
    t2 = make_ticket(dave, by=alice, channel="web", priority="high", type="incident", subject="T2")
    at(msk(2026, 3, 2, 12, 0))
    actions.add_message(t2, by=alice, body="Please send the log.")
    actions.update_ticket(t2, TicketChanges(status="pending"), by=alice)
    at(msk(2026, 3, 4, 9, 0))
    actions.add_message(t2, by=dave, body="Attached.")
    at(msk(2026, 3, 4, 10, 0))
    actions.add_message(t2, by=alice, body="Thanks, fixing.")
    at(msk(2026, 3, 4, 11, 0))
    _solve(t2, alice)
    rate_ticket(t2, by=dave, score=3)
    # T3
    at(msk(2026, 3, 3, 9, 0))
    t3 = make_ticket(dana, by=alice, channel="email", priority="urgent", type="incident")
    at(msk(2026, 3, 3, 10, 0))
    escalate_ticket(t3, to="2", reason="Database expertise", by=alice)
    at(msk(2026, 3, 3, 11, 0))
    actions.add_message(t3, by=bob, body="Rebuilding the index.")
    actions.log_time(t3, by=bob, minutes=60)
    at(msk(2026, 3, 5, 12, 0))
    _solve(t3, bob)
    # T4
    at(msk(2026, 3, 4, 9, 0))
    t4 = make_ticket(dana, by=alice, channel="chat", subject="T4")
    at(msk(2026, 3, 4, 9, 30))
    actions.add_message(t4, by=alice, body="Done.")
    at(msk(2026, 3, 4, 10, 0))
    _solve(t4, alice)
    at(msk(2026, 3, 4, 11, 0))
    actions.add_message(t4, by=dana, body="Still broken.")
    at(msk(2026, 3, 4, 12, 0))
    _solve(t4, alice)
    # T5
    at(msk(2026, 3, 5, 9, 0))
    make_ticket(dana, by=alice, channel="email", subject="T5")
    at(msk(2026, 3, 9, 9, 0))
    return [t1, t2, t3]


def test_every_kpi_of_the_week(api, week, lena):
    response = api(lena).get("/reports/kpis", PERIOD)
    assert response.status_code == 200, response.content
    k = response.json()
    assert k["nst"] == 5
    assert k["afrt_hours"] == 1.38  # (1 + 2 + 2 + 0.5) / 4 business hours
    assert k["solved"] == 4
    assert k["art_hours"] == 7.5  # (3 + 4 + 21 + 2) / 4, pending excluded
    assert k["on_time_rate"] == 75.0  # T3 breached its resolution target
    # T1 only: T2 had two replies, T3 was escalated to line 2, T4 was reopened
    assert k["fcr_rate"] == 25.0
    assert k["solved_by_priority"] == {"low": 0, "normal": 2, "high": 1, "urgent": 1}
    assert (k["ntb"], k["ntb_overdue"]) == (1, 1)
    assert k["csat_average"] == 4.0
    assert k["csat_distribution"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert k["csat_response_rate"] == 50.0  # 2 ratings for 4 requests
    assert k["incidents_with_time_rate"] == 50.0  # T3 of T2, T3
    assert (k["cost_total"], k["cost_per_ticket"]) == ("2400.00", "600.00")
    assert k["escalation_rate"] == 25.0
    # wall-clock hours per level: line 1 (3 + 49 + 1 + 2) / 4; line 2 only T3 (Tue 10 - Thu 12)
    assert k["hours_per_line"] == {"1": 13.75, "2": 50.0, "3": None, "lead": None}
    trend = {d["day"]: (d["created"], d["solved"]) for d in k["trend"]}
    assert trend == {
        "2026-03-02": (2, 1),
        "2026-03-03": (1, 0),
        "2026-03-04": (1, 2),
        "2026-03-05": (1, 1),
        "2026-03-06": (0, 0),
    }


def test_filters_slice_the_numbers(api, week, lena):
    email = api(lena).get("/reports/kpis", {**PERIOD, "channel": "email"}).json()
    assert (email["nst"], email["solved"], email["art_hours"]) == (3, 2, 12.0)
    # CSAT of the e-mail tickets only: T1 rated 5; requests went to T1 and T3
    assert (email["csat_ratings"], email["csat_average"]) == (1, 5.0)
    assert email["csat_response_rate"] == 50.0
    urgent = api(lena).get("/reports/afrt", {**PERIOD, "priority": "urgent"}).json()
    assert urgent["afrt_hours"] == 2.0
    by_org = api(lena).get("/reports/nst", {**PERIOD, "organization": week[0].organization_id})
    assert by_org.json()["nst"] == 5


def test_csv_export_and_access(api, week, lena, dana):
    response = api(lena).get("/reports/export.csv", PERIOD)
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert "afrt_hours,,1.38" in text
    assert "solved_by_priority,urgent,1" in text
    assert api(dana).get("/reports/kpis", PERIOD).status_code == 403
    assert api(lena).get("/reports/nope", PERIOD).status_code == 404
    bad = api(lena).get("/reports/kpis", {"start": "2026-03-06", "end": "2026-03-01"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_period")


def test_cost_keeps_the_kopecks_of_every_time_entry(
    api, policy, make_ticket, dana, alice, lena, clock
):
    # 7 minutes at 1,000 an hour is 116.67: on SQLite a whole-number rate is stored as an
    # integer, and summing minutes * rate / 60 in the database dropped the fraction.
    User.objects.filter(pk=alice.pk).update(cost_per_hour=Decimal("1000"))
    alice.refresh_from_db()
    clock.move_to(msk(2026, 3, 2, 9))
    ticket = make_ticket(dana, by=alice, subject="Kopecks")
    actions.log_time(ticket, by=alice, minutes=7)
    actions.log_time(ticket, by=alice, minutes=5)
    clock.move_to(msk(2026, 3, 2, 10))
    _solve(ticket, alice)
    k = api(lena).get("/reports/cost", PERIOD).json()
    assert (k["cost_total"], k["logged_minutes"]) == ("200.00", 12)  # 116.67 + 83.33
