"""The Time card of the ticket page: timer, manual entries, totals, cost and permissions."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opora.tickets.models import TimeEntry
from tests.writes import nothing_written


def test_start_then_stop_creates_an_entry(client, alice, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    client.force_login(alice)

    # when
    started = client.post(f"/agent/tickets/{ticket.number}/time", {"timer": "start"})
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    stopped = client.post(f"/agent/tickets/{ticket.number}/time", {"timer": "stop"})

    # then
    assert started.status_code == 302 and stopped.status_code == 302
    assert "data-timer-stop" in page
    entry = TimeEntry.objects.get(ticket=ticket, agent=alice)
    assert entry.stopped_at is not None and entry.minutes >= 1
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "data-timer-start" in page
    assert f"{entry.minutes} minute" in page


def test_a_manual_entry_adds_to_the_total_through_htmx(client, alice, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    client.force_login(alice)
    client.post(f"/agent/tickets/{ticket.number}/time", {"minutes": "30", "note": "call"})

    # when
    response = client.post(
        f"/agent/tickets/{ticket.number}/time",
        {"minutes": "15", "note": "follow-up"},
        headers={"HX-Request": "true"},
    )

    # then
    assert response.status_code == 200
    assert "45 minutes logged" in response.content.decode()
    assert sorted(TimeEntry.objects.filter(ticket=ticket).values_list("minutes", flat=True)) == [
        15,
        30,
    ]


def test_cost_is_shown_to_a_team_lead_but_not_to_an_agent(client, alice, lena, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    alice.cost_per_hour = Decimal("60.00")
    alice.save(update_fields=["cost_per_hour"])
    client.force_login(alice)
    client.post(f"/agent/tickets/{ticket.number}/time", {"minutes": "30"})

    # when
    as_agent = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    client.force_login(lena)
    as_lead = client.get(f"/agent/tickets/{ticket.number}").content.decode()

    # then
    assert "data-time-cost" not in as_agent
    assert "data-time-cost" in as_lead and "30.00" in as_lead


def test_a_customer_cannot_post_time(client, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    client.force_login(dana)

    # when
    with nothing_written(ticket):
        response = client.post(f"/agent/tickets/{ticket.number}/time", {"minutes": "10"})

    # then: staff pages send customers to their portal; nothing is logged
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_a_post_without_csrf_token_is_refused(alice, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)

    # when
    with nothing_written(ticket):
        response = strict.post(f"/agent/tickets/{ticket.number}/time", {"minutes": "10"})

    # then
    assert response.status_code == 403


def test_bad_minutes_show_an_error_in_the_users_language(client, alice, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    alice.language = "ru"
    alice.save(update_fields=["language"])
    client.force_login(alice)

    # when
    with nothing_written(ticket):
        response = client.post(f"/agent/tickets/{ticket.number}/time", {"minutes": "0"})

    # then
    assert response.status_code == 400
    assert "Минут должно быть от 1" in response.content.decode()


def test_stopping_a_timer_that_is_not_running_changes_nothing(client, alice, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    client.force_login(alice)

    # when
    with nothing_written(ticket):
        response = client.post(f"/agent/tickets/{ticket.number}/time", {"timer": "stop"})

    # then
    assert response.status_code == 400
    assert "No timer is running." in response.content.decode()


def test_the_time_card_costs_one_query_whatever_the_entries(client, alice, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    client.force_login(alice)
    client.post(f"/agent/tickets/{ticket.number}/time", {"minutes": "5"})
    with CaptureQueriesContext(connection) as few:
        client.get(f"/agent/tickets/{ticket.number}")
    for _ in range(5):
        client.post(f"/agent/tickets/{ticket.number}/time", {"minutes": "5"})

    # when
    with CaptureQueriesContext(connection) as many:
        client.get(f"/agent/tickets/{ticket.number}")

    # then
    assert len(many) == len(few)
    assert sum("tickets_timeentry" in q["sql"] for q in many.captured_queries) == 1


def test_the_card_speaks_russian(client, alice, dana, make_ticket):
    # given
    ticket = make_ticket(dana)
    alice.language = "ru"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    client.post(f"/agent/tickets/{ticket.number}/time", {"minutes": "5"})

    # when
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()

    # then
    assert "Учтено 5 минут" in page and "Запустить таймер" in page
