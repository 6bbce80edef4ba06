"""Agents log time by hand or with a timer; a ticket's cost is its time by each rate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from opora.accounts.models import User
from opora.tickets.models import Event
from tests.writes import nothing_written


def test_manual_entries_and_a_timer_add_up_to_time_and_cost(api, make_ticket, dana, alice, bob):
    # given Alice costs 1200 an hour and Bob 1800
    User.objects.filter(pk=alice.pk).update(cost_per_hour=Decimal("1200"))
    User.objects.filter(pk=bob.pk).update(cost_per_hour=Decimal("1800"))
    ticket = make_ticket(dana, by=alice)
    # when Alice logs 30 minutes by hand
    response = api(alice).post(f"/tickets/{ticket.number}/time", {"minutes": 30, "note": "call"})
    assert response.status_code == 201, response.content
    # and Bob runs a timer for 20 minutes
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert api(bob).post(f"/tickets/{ticket.number}/timer/start").json()["running"] is True
        clock.move_to(start + timedelta(minutes=20))
        body = api(bob).post(f"/tickets/{ticket.number}/timer/stop").json()
    # then the ticket shows 50 minutes costing 600 + 600
    assert body["running"] is False
    assert body["total_minutes"] == 50
    assert Decimal(body["total_cost"]) == Decimal("1200.00")
    assert Event.objects.filter(ticket=ticket, kind="time_logged").count() == 2


def test_stopping_without_a_timer_and_bad_minutes_are_refused(api, make_ticket, dana, alice):
    ticket = make_ticket(dana, by=alice)
    desk = api(alice)
    with nothing_written(ticket):
        stop = desk.post(f"/tickets/{ticket.number}/timer/stop")
        bad = desk.post(f"/tickets/{ticket.number}/time", {"minutes": 0})
    assert (stop.status_code, stop.json()["code"]) == (422, "no_timer")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "minutes")


def test_customers_and_other_teams_cannot_see_or_log_time(
    api, make_ticket, dana, alice, otto, billing
):
    ticket = make_ticket(dana, by=alice)
    for outsider in (api(dana), api(otto)):
        with nothing_written(ticket):
            answers = [
                outsider.post(f"/tickets/{ticket.number}/time", {"minutes": 5}),
                outsider.post(f"/tickets/{ticket.number}/timer/start"),
                outsider.post(f"/tickets/{ticket.number}/timer/stop"),
            ]
        assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "not_found")] * 3
        assert outsider.get(f"/tickets/{ticket.number}/time").status_code == 404
