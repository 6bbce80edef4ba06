"""Due dates in business time: nights, weekends, holidays, short days and pauses."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from opora.sla.models import SlaPolicy, SlaState, TicketSla
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from opora.tickets.models import Ticket
from tests.sla.conftest import msk


def _open(make_ticket, dana, alice, clock, when):
    clock.move_to(when)
    return make_ticket(dana, by=alice)


def test_a_ticket_late_in_the_day_is_due_the_next_morning(policy, make_ticket, dana, alice, clock):
    # given a ticket opened on Monday 2 March 2026 at 16:00 in Moscow
    ticket = _open(make_ticket, dana, alice, clock, msk(2026, 3, 2, 16, 0))
    # then 4 business hours end on Tuesday at 11:00 (2 h on Monday, 2 h on Tuesday)
    assert ticket.first_response_due_at == msk(2026, 3, 3, 11, 0)
    # and 16 business hours end on Wednesday at 14:00 (2 + 9 + 5)
    assert ticket.resolution_due_at == msk(2026, 3, 4, 14, 0)


def test_a_ticket_before_opening_time_starts_counting_at_nine(
    policy, make_ticket, dana, alice, clock
):
    ticket = _open(make_ticket, dana, alice, clock, msk(2026, 3, 4, 7, 30))
    assert ticket.first_response_due_at == msk(2026, 3, 4, 13, 0)


def test_the_weekend_and_a_holiday_do_not_count(policy, make_ticket, dana, alice, clock):
    # given a ticket on Friday 6 March 2026 at 17:00; 7-8 March is a weekend and
    # Monday 9 March a public holiday (8 March moved)
    ticket = _open(make_ticket, dana, alice, clock, msk(2026, 3, 6, 17, 0))
    # then 1 h on Friday, the rest from Tuesday 09:00
    assert ticket.first_response_due_at == msk(2026, 3, 10, 12, 0)


def test_a_short_pre_holiday_day_and_the_may_holidays(policy, make_ticket, dana, alice, clock):
    # given Thursday 30 April 2026, a day one hour shorter (09:00-17:00), then
    # 1 May (holiday) and the weekend
    ticket = _open(make_ticket, dana, alice, clock, msk(2026, 4, 30, 16, 0))
    # then 1 h on Thursday and 3 h on Monday 4 May
    assert ticket.first_response_due_at == msk(2026, 5, 4, 12, 0)


def test_a_transferred_working_saturday_counts(policy, make_ticket, dana, alice, clock):
    # given Friday 31 October 2025 17:00; Saturday 1 November 2025 was a (short)
    # working day in Russia
    ticket = _open(make_ticket, dana, alice, clock, msk(2025, 10, 31, 17, 0))
    # then 1 h on Friday and 3 h on that Saturday
    assert ticket.first_response_due_at == msk(2025, 11, 1, 12, 0)


def test_pending_pauses_the_resolution_clock(policy, make_ticket, dana, alice, clock):
    # given a ticket opened Monday 10:00 and answered at 11:00, then set pending
    ticket = _open(make_ticket, dana, alice, clock, msk(2026, 3, 2, 10, 0))
    clock.move_to(msk(2026, 3, 2, 11, 0))
    actions.add_message(ticket, by=alice, body="Could you send a screenshot?")
    ticket = actions.update_ticket(ticket, TicketChanges(status="pending"), by=alice)
    # then while pending there is no resolution due date and the clock shows paused
    assert ticket.resolution_due_at is None
    assert TicketSla.objects.get(ticket=ticket).state == SlaState.PAUSED
    # when the customer answers on Wednesday at 10:00 the clock resumes
    clock.move_to(msk(2026, 3, 4, 10, 0))
    actions.add_message(ticket, by=dana, body="Here it is.")
    ticket.refresh_from_db()
    # then 1 h was used on Monday; 15 h remain: Wednesday 10-18 (8 h) + Thursday 7 h
    assert ticket.status == "open"
    assert ticket.resolution_due_at == msk(2026, 3, 5, 16, 0)
    # and the first response was in time, measured in business time
    sla = TicketSla.objects.get(ticket=ticket)
    assert (sla.first_response_seconds, sla.first_response_breached) == (3600, False)
    # and the customer's new message must be answered in 2 business hours
    assert sla.next_response_due_at == msk(2026, 3, 4, 12, 0)


@pytest.mark.parametrize(
    ("pause_on_hold", "expected"), [(True, None), (False, msk(2026, 3, 4, 14))]
)
def test_on_hold_pauses_only_if_the_policy_says_so(
    policy, make_ticket, dana, alice, clock, pause_on_hold, expected
):
    policy.pause_on_hold = pause_on_hold
    policy.save(update_fields=["pause_on_hold"])
    ticket = _open(make_ticket, dana, alice, clock, msk(2026, 3, 2, 16, 0))
    ticket = actions.update_ticket(ticket, TicketChanges(status="on_hold"), by=alice)
    assert ticket.resolution_due_at == expected


def test_the_most_specific_policy_wins_by_position(policy, office, make_ticket, dana, alice, clock):
    # given an urgent policy placed before the standard one
    SlaPolicy.objects.create(
        name="Urgent", position=10, priority=4, calendar=office, first_response_minutes=30
    )
    clock.move_to(msk(2026, 3, 2, 17, 45))
    urgent = make_ticket(dana, by=alice, priority="urgent")
    normal = make_ticket(dana, by=alice)
    # then each ticket gets its policy's target
    assert urgent.first_response_due_at == msk(2026, 3, 3, 9, 15)
    assert normal.first_response_due_at == msk(2026, 3, 3, 12, 45)
    matched = TicketSla.objects.get(ticket=urgent).policy
    assert matched is not None
    assert matched.name == "Urgent"


def test_solving_late_marks_the_resolution_breached(policy, make_ticket, dana, alice, clock):
    ticket = _open(make_ticket, dana, alice, clock, msk(2026, 3, 2, 9, 0))
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Looking into it.")
    clock.move_to(msk(2026, 3, 4, 10, 0))  # 9 + 9 + 1 = 19 business hours later
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.resolution_seconds == 19 * 3600
    assert (sla.resolution_breached, sla.state) == (True, SlaState.BREACHED)


def test_the_queue_sorts_by_the_nearest_due_time(
    api, policy, office, make_ticket, dana, alice, clock
):
    # given an urgent ticket due in 30 minutes, a normal one due in 4 h opened earlier,
    # and one without any target
    SlaPolicy.objects.create(
        name="Urgent", position=10, priority=4, calendar=office, first_response_minutes=30
    )
    SlaPolicy.objects.create(name="Low: none", position=5, priority=1, calendar=office)
    clock.move_to(msk(2026, 3, 2, 9, 0))
    normal = make_ticket(dana, by=alice, subject="normal")
    low = make_ticket(dana, by=alice, subject="low", priority="low")
    clock.move_to(msk(2026, 3, 2, 10, 0))
    urgent = make_ticket(dana, by=alice, subject="urgent", priority="urgent")
    # when the queue is listed by due time, two per page
    first = api(alice).get("/tickets", {"sort": "due_at", "limit": 2}).json()
    second = (
        api(alice)
        .get("/tickets", {"sort": "due_at", "limit": 2, "cursor": first["next_cursor"]})
        .json()
    )
    # then the most urgent deadline comes first and the ticket without one last
    numbers = [t["number"] for t in first["items"] + second["items"]]
    assert numbers == [urgent.number, normal.number, low.number]


def _stored_due(ticket: Ticket) -> datetime | None:
    return Ticket.objects.get(pk=ticket.pk).resolution_due_at


def test_status_changes_move_the_clock_at_once_in_real_time(policy, make_ticket, dana, alice):
    # given the clock running as in production (time moves on during each change)
    with time_machine.travel(msk(2026, 3, 2, 10, 0), tick=True):
        ticket = make_ticket(dana, by=alice)
        actions.add_message(ticket, by=alice, body="Could you send a screenshot?")
        # when the agent sets it pending, the resolution clock pauses with that change
        ticket = actions.update_ticket(ticket, TicketChanges(status="pending"), by=alice)
        assert TicketSla.objects.get(ticket=ticket).state == SlaState.PAUSED
        assert _stored_due(ticket) is None
    with time_machine.travel(msk(2026, 3, 3, 10, 0), tick=True):
        # when the customer answers, the clock runs again with that reply
        actions.add_message(ticket, by=dana, body="Here it is.")
        ticket.refresh_from_db()
        sla = TicketSla.objects.get(ticket=ticket)
        assert (ticket.status, sla.state, sla.paused) == ("open", SlaState.OK, False)
        assert _stored_due(ticket) is not None
        # and the same when a solved ticket is reopened by the customer's reply
        ticket = actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
        actions.add_message(ticket, by=dana, body="It is broken again.")
        ticket.refresh_from_db()
        sla = TicketSla.objects.get(ticket=ticket)
        assert (ticket.status, sla.state, sla.paused) == ("open", SlaState.OK, False)
        assert _stored_due(ticket) is not None
