"""Contracts choose the SLA policy of new tickets; lifetime stats match the raw rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from opora.core import clock
from opora.crm import actions, selectors
from opora.feedback.models import Rating
from opora.sla.models import BusinessCalendar, SlaPolicy, TicketSla
from opora.tickets.models import Message, Ticket
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def hours(db):
    return BusinessCalendar.objects.create(name="24/7", time_zone="UTC", is_default=True)


@pytest.fixture
def standard(hours):
    return SlaPolicy.objects.create(
        name="Standard", position=10, calendar=hours, first_response_minutes=480
    )


@pytest.fixture
def premium(hours):
    # Last in order and matching nobody by criteria: only a contract brings it in.
    return SlaPolicy.objects.create(
        name="Premium", position=900, calendar=hours, first_response_minutes=30, priority=4
    )


def policy_of(ticket: Ticket) -> str | None:
    sla = TicketSla.objects.select_related("policy").get(ticket=ticket)
    return sla.policy.name if sla.policy else None


def test_an_organizations_contract_sets_the_policy_of_its_new_tickets(
    ada, acme, dana, charlie, make_ticket, standard, premium
):
    actions.set_contract(
        by=ada, org=acme, plan="Gold", sla_policy=premium.pk, support_hours=premium.calendar_id
    )
    assert policy_of(make_ticket(dana)) == "Premium"
    assert policy_of(make_ticket(charlie)) == "Standard"


def test_the_policy_stays_while_the_ticket_changes(
    ada, alice, acme, dana, make_ticket, standard, premium
):
    from opora.tickets.actions import TicketChanges, update_ticket

    actions.set_contract(by=ada, org=acme, plan="Gold", sla_policy=premium.pk)
    ticket = make_ticket(dana)
    update_ticket(ticket, TicketChanges(priority="low"), by=ada)
    assert policy_of(ticket) == "Premium"


def test_an_expired_contract_falls_back_to_the_default_policy(
    ada, acme, dana, make_ticket, standard, premium
):
    yesterday = clock.now().date() - timedelta(days=1)
    actions.set_contract(by=ada, org=acme, plan="Gold", sla_policy=premium.pk, expires_on=yesterday)
    assert policy_of(make_ticket(dana)) == "Standard"


def test_a_customers_own_contract(ada, charlie, make_ticket, standard, premium):
    actions.set_contract(by=ada, customer=charlie, plan="Personal", sla_policy=premium.pk)
    assert policy_of(make_ticket(charlie)) == "Premium"
    contract = selectors.contract_of(customer=charlie)
    assert contract is not None
    actions.remove_contract(contract, by=ada)
    assert policy_of(make_ticket(charlie)) == "Standard"


def test_the_contracts_support_hours_run_the_clock(
    api, client, ada, acme, dana, charlie, make_ticket, premium
):
    """A 24/7 policy under a contract with support hours 9-18 on weekdays: a ticket
    written at 20:00 on Monday falls due the next morning, 30 minutes after 9:00."""
    office = BusinessCalendar.objects.create(
        name="Weekdays 9-18",
        time_zone="Europe/Moscow",
        week={str(day): [["09:00", "18:00"]] for day in range(1, 6)},
    )
    actions.set_contract(
        by=ada, org=acme, plan="Gold", sla_policy=premium.pk, support_hours=office.pk
    )
    monday_evening = datetime(2026, 3, 2, 20, 0, tzinfo=MSK)
    with time_machine.travel(monday_evening, tick=False):
        ticket = make_ticket(dana, priority="urgent")
        other = make_ticket(charlie, priority="urgent")
    assert ticket.first_response_due_at == datetime(2026, 3, 3, 9, 30, tzinfo=MSK)
    sla = TicketSla.objects.get(ticket=ticket)
    assert (sla.policy_id, sla.calendar_id) == (premium.pk, office.pk)
    # Without the contract the same policy (matched by priority) runs around the clock.
    assert other.first_response_due_at == datetime(2026, 3, 2, 20, 30, tzinfo=MSK)
    # A contract naming only support hours keeps the matched policy on its hours.
    actions.set_contract(by=ada, org=acme, plan="Hours only", support_hours=office.pk)
    with time_machine.travel(monday_evening, tick=False):
        hours_only = make_ticket(dana, priority="urgent")
    assert hours_only.first_response_due_at == datetime(2026, 3, 3, 9, 30, tzinfo=MSK)
    # The hours chosen at opening stay while the ticket changes.
    from opora.tickets.actions import TicketChanges, update_ticket

    with time_machine.travel(monday_evening, tick=False):
        update_ticket(ticket, TicketChanges(priority="high"), by=ada)
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == datetime(2026, 3, 3, 9, 30, tzinfo=MSK)
    # The agent sees which hours the clock runs on, in the API and on the ticket page.
    shown = api(ada).get(f"/tickets/{ticket.number}/sla").json()
    assert (shown["policy"], shown["support_hours"]) == ("Premium", "Weekdays 9-18")
    assert api(ada).get(f"/tickets/{other.number}/sla").json()["support_hours"] is None
    client.force_login(ada)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "Weekdays 9-18" in page and "data-support-hours" in page


def test_contracts_through_the_api(api, ada, alice, acme, standard, premium):
    body = {
        "plan": "Gold",
        "sla_policy": premium.pk,
        "post_warranty": True,
        "expires_on": "2030-01-31",
    }
    agent = api(alice)
    with nothing_written(acme):
        assert (
            agent.client.put(
                f"/api/v1/organizations/{acme.pk}/contract", body, content_type="application/json"
            ).status_code
            == 403
        )
    client = api(ada)
    with nothing_written(acme):
        bad = client.client.put(
            f"/api/v1/organizations/{acme.pk}/contract",
            {**body, "sla_policy": 999999},
            content_type="application/json",
        )
    assert bad.status_code == 422
    assert bad.json()["code"] == "unknown_policy"
    ok = client.client.put(
        f"/api/v1/organizations/{acme.pk}/contract", body, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    assert ok.json() == {
        "plan": "Gold",
        "support_hours": None,
        "sla_policy": premium.pk,
        "post_warranty": True,
        "expires_on": "2030-01-31",
        "expired": False,
    }
    acme.refresh_from_db()
    assert (acme.contract_policy_id, acme.contract_expires_on) == (premium.pk, date(2030, 1, 31))


def test_lifetime_stats_match_the_raw_rows(
    ada, alice, acme, dana, dave, make_ticket, django_assert_max_num_queries
):
    from opora.tickets.actions import add_message

    tickets = [make_ticket(dana), make_ticket(dana, type="complaint"), make_ticket(dave)]
    add_message(tickets[0], body="Any news?", by=dana)
    Rating.objects.create(ticket=tickets[0], score=5)
    Rating.objects.create(ticket=tickets[1], score=2)
    Rating.objects.create(ticket=tickets[2], score=4)
    for subject in ({"customer": dana}, {"org": acme}):
        with django_assert_max_num_queries(3):
            stats = selectors.lifetime(**subject)
        if "customer" in subject:
            mine = Ticket.objects.filter(requester=dana)
        else:
            mine = Ticket.objects.filter(organization=acme)
        ratings = list(Rating.objects.filter(ticket__in=mine).values_list("score", flat=True))
        written = Message.objects.filter(ticket__in=mine, internal=False)
        written = (
            written.filter(author=dana)
            if "customer" in subject
            else written.filter(author__organization=acme)
        )
        assert stats.tickets == mine.count()
        assert stats.complaints == mine.filter(type="complaint").count()
        assert stats.csat_average == round(sum(ratings) / len(ratings), 2)
        assert stats.ratings == len(ratings)
        assert stats.last_contact == max(m.created_at for m in written)


def test_notes_are_for_agents_and_timestamped(api, alice, dana, charlie):
    agent = api(alice)
    answer = agent.post(f"/customers/{dana.pk}/notes", {"body": "Call before 10."})
    assert answer.status_code == 201
    assert answer.json()["author"]["email"] == alice.email
    record = api(alice).get(f"/customers/{dana.pk}/record").json()
    assert [n["body"] for n in record["notes"]] == ["Call before 10."]
    assert record["contacts"][0]["kind"] == "email"
    customer = api(charlie)
    with nothing_written(dana):
        refused = customer.post(f"/customers/{dana.pk}/notes", {"body": "hi"})
    assert refused.status_code == 403
    with nothing_written(dana):
        empty = agent.post(f"/customers/{dana.pk}/notes", {"body": "  "})
    assert empty.status_code == 422
