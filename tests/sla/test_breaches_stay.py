"""A breach, once it happened, stays one: solve, reopen, merge, a new priority.

The on-time rate, the ticket page badge and the API's SLA state agree with the
ticket's history (docs/kpi.md).
"""

from __future__ import annotations

from opora.reports.kpis import ReportFilter, solved_summary
from opora.sla.models import SlaPolicy, SlaState, TicketSla
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from tests.sla.conftest import msk

WEEK = ReportFilter(start=msk(2026, 3, 2), end=msk(2026, 3, 9))


def _sla(ticket) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket)


def test_a_ticket_solved_without_a_reply_after_its_response_was_due_is_not_on_time(
    client, api, policy, make_ticket, dana, alice, clock
):
    # given a ticket opened Monday 09:00 (first response due 13:00) that nobody answers
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    # when an agent solves it at 13:05 without a public reply (within the 16 h resolution)
    clock.move_to(msk(2026, 3, 2, 13, 5))
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    # then the first response is breached, and the on-time rate says so
    assert _sla(ticket).first_response_breached is True
    assert solved_summary(WEEK)["on_time_rate"] == 0.0
    # and the ticket page shows the breach, never "on track" next to an overdue time
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "sla-state-breached" in page and "data-sla-missed" in page
    assert "sla-state-ok" not in page
    # and so does the API
    assert api(alice).get(f"/tickets/{ticket.number}/sla").json()["state"] == "breached"


def test_a_ticket_solved_without_a_reply_before_anything_was_due_is_on_time(
    policy, make_ticket, dana, alice, clock
):
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    assert _sla(ticket).first_response_breached is None
    assert solved_summary(WEEK)["on_time_rate"] == 100.0


def test_a_late_solve_stays_breached_after_a_reopen(policy, make_ticket, dana, alice, clock):
    # given a ticket answered in time but solved after its 16 business hours
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Looking into it.")
    clock.move_to(msk(2026, 3, 4, 12, 0))  # Wednesday noon: 21 business hours
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    assert _sla(ticket).resolution_breached is True
    # when the customer reopens it, and it is solved again
    clock.move_to(msk(2026, 3, 4, 13, 0))
    actions.add_message(ticket, by=dana, body="It broke again.")
    sla = _sla(ticket)
    assert (sla.resolution_breached, sla.state) == (True, SlaState.BREACHED)
    clock.move_to(msk(2026, 3, 4, 14, 0))
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    # then it is still a breach, and not on time
    assert _sla(ticket).resolution_breached is True
    assert solved_summary(WEEK)["on_time_rate"] == 0.0


def test_a_reopen_alone_is_no_breach(policy, make_ticket, dana, alice, clock):
    # given a ticket solved in time, whose resolution would fall due on Tuesday
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Done.", status="solved")
    # when the customer reopens it a week later (long after that due time)
    clock.move_to(msk(2026, 3, 10, 10, 0))
    actions.add_message(ticket, by=dana, body="One more thing.")
    # then the time while solved did not count: no breach
    assert _sla(ticket).resolution_breached is None
    assert _sla(ticket).first_response_breached is False


def test_a_breach_stays_when_the_priority_moves_to_a_looser_policy(
    policy, office, make_ticket, dana, alice, clock
):
    # given low-priority tickets get a week to answer
    SlaPolicy.objects.create(
        name="Low", position=10, priority=1, calendar=office, first_response_minutes=5 * 540
    )
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    # when the 4 h first response lapses, and then an agent lowers the priority
    clock.move_to(msk(2026, 3, 2, 14, 0))
    actions.update_ticket(ticket, TicketChanges(priority="low"), by=alice)
    # then the breach stays (the new policy would have allowed it)
    assert _sla(ticket).first_response_breached is True
    clock.move_to(msk(2026, 3, 2, 15, 0))
    actions.add_message(ticket, by=alice, body="Sorry for the wait.", status="solved")
    assert _sla(ticket).first_response_breached is True


def test_a_merged_duplicate_keeps_its_breach_and_the_target_counts_its_replies(
    policy, make_ticket, dana, alice, clock
):
    # given a duplicate nobody answered past its response time, and the original
    clock.move_to(msk(2026, 3, 2, 9, 0))
    original = make_ticket(dana, subject="Printer")
    clock.move_to(msk(2026, 3, 2, 9, 30))
    duplicate = make_ticket(dana, subject="Printer again")
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(original, by=alice, body="Restart it.", status="solved")
    assert _sla(original).agent_replies == 1
    clock.move_to(msk(2026, 3, 2, 11, 0))
    actions.add_message(duplicate, by=alice, body="See the other ticket.", internal=True)
    # when the duplicate is merged after its first response fell due (13:30)
    clock.move_to(msk(2026, 3, 2, 14, 0))
    actions.merge_tickets(duplicate, original, by=alice)
    # then the duplicate's breach stays, and it is not counted as solved
    sla = _sla(duplicate)
    assert (sla.first_response_breached, sla.resolution_breached) == (True, None)
    assert sla.solved_at is None
    # and a reply moved in with a merge counts on the original at once
    clock.move_to(msk(2026, 3, 3, 9, 0))
    third = make_ticket(dana, subject="Printer third")
    actions.add_message(third, by=alice, body="Try this.")
    actions.merge_tickets(third, original, by=alice)
    assert _sla(original).agent_replies == 2
