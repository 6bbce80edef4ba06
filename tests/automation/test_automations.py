"""Time automations: a ticket in a status long enough is reminded, solved, closed, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opora.automation.automations import automation_user, run_automations
from opora.automation.models import Automation, AutomationRun
from opora.core import clock as wall_clock
from opora.sla.models import BusinessCalendar
from opora.tickets import actions
from opora.tickets.models import Event, Ticket

START = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)  # a Monday


def at(moment, fn):
    with wall_clock.use(lambda: moment):
        return fn()


@pytest.fixture
def pending(make_ticket, dana, alice):
    def make():
        ticket = make_ticket(dana, channel="email")
        return actions.update_ticket(ticket, actions.TicketChanges(status="pending"), by=alice)

    return at(START, make)


def rules(business=False):
    remind = Automation.objects.create(
        name="remind",
        status="pending",
        hours=72,
        business_hours=business,
        action="remind",
        message="Still need help with #{{ ticket.number }}?",
    )
    solve = Automation.objects.create(name="solve", status="pending", hours=168, action="solve")
    close = Automation.objects.create(name="close", status="solved", hours=96, action="close")
    return remind, solve, close


def reminders(ticket):
    return ticket.messages.filter(author=automation_user())


def test_pending_is_reminded_once_then_solved_then_closed(pending):
    rules()
    assert at(START + timedelta(hours=71), run_automations) == 0
    assert at(START + timedelta(hours=73), run_automations) == 1
    assert at(START + timedelta(hours=80), run_automations) == 0  # once per period
    [reminder] = reminders(pending)
    assert reminder.body == f"Still need help with #{pending.number}?"
    assert reminder.automated and not reminder.internal
    assert Ticket.objects.get(pk=pending.pk).status == "pending"  # a reminder moves nothing

    at(START + timedelta(days=7, hours=1), run_automations)
    solved = Ticket.objects.get(pk=pending.pk)
    assert solved.status == "solved"
    event = Event.objects.filter(ticket=pending, kind="status_changed").last()
    assert event is not None
    assert event.data["automation_name"] == "solve"

    at(START + timedelta(days=10), run_automations)
    assert Ticket.objects.get(pk=pending.pk).status == "solved"  # solved 3 days only
    at(START + timedelta(days=11, hours=2), run_automations)
    assert Ticket.objects.get(pk=pending.pk).status == "closed"
    assert AutomationRun.objects.count() == 3


def test_a_new_period_in_the_status_is_reminded_again(pending, dana, alice):
    rules()
    at(START + timedelta(hours=73), run_automations)
    # the customer answers (open), the agent asks again (pending): a new period
    at(START + timedelta(hours=74), lambda: actions.add_message(pending, by=dana, body="Hm"))
    at(
        START + timedelta(hours=75),
        lambda: actions.add_message(pending, by=alice, body="Try this", status="pending"),
    )
    at(START + timedelta(hours=76), run_automations)
    assert reminders(pending).count() == 1
    at(START + timedelta(hours=75 + 73), run_automations)
    assert reminders(pending).count() == 2


def test_business_hours_count_only_the_working_week(pending):
    BusinessCalendar.objects.create(name="Office", is_default=True, time_zone="UTC")
    Automation.objects.create(
        name="remind", status="pending", hours=24, business_hours=True, action="remind", message="?"
    )
    # Monday 10:00 + 24 calendar hours is only 9 business hours (9-18 a day)
    assert at(START + timedelta(hours=25), run_automations) == 0
    # by Thursday 11:00 it has 8 + 9 + 9 + 2 = 28 business hours
    assert at(START + timedelta(days=3, hours=1), run_automations) == 1


def test_inactive_rules_do_nothing(pending):
    rules()
    Automation.objects.update(active=False)
    assert at(START + timedelta(days=30), run_automations) == 0
