"""What the SLA clock records per ticket for reports (docs/kpi.md): the team and
assignee the filters slice by, the desk's public replies, reopenings, logged time."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import time_machine

from opora.accounts.models import Team, User
from opora.sla.models import SlaPolicy, TicketSla
from opora.sla.tasks import check_sla
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from opora.tickets.models import Ticket
from tests.sla.conftest import msk

MakeTicket = Callable[..., Ticket]
Clock = time_machine.Traveller
WEEK = {"start": "2026-03-02", "end": "2026-03-06"}


def _sla(ticket: Ticket) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket)


def _solve(ticket: Ticket, by: User) -> None:
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=by)


def test_report_filters_follow_the_tickets_team_and_assignee(
    api: Callable[[User | None], Any],
    policy: SlaPolicy,
    make_ticket: MakeTicket,
    dana: User,
    alice: User,
    bob: User,
    otto: User,
    lena: User,
    support: Team,
    billing: Team,
    clock: Clock,
) -> None:
    # given a Support ticket assigned to Alice and a Billing ticket assigned to Otto
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ours = make_ticket(dana, by=alice)
    actions.update_ticket(ours, TicketChanges(assignee=alice.pk), by=alice)
    theirs = make_ticket(dana, by=otto, team=billing)
    actions.update_ticket(theirs, TicketChanges(assignee=otto.pk), by=otto)

    def opened(**only: int) -> int:
        response = api(lena).get("/reports/kpis", {**WEEK, **only})
        assert response.status_code == 200, response.content
        count: int = response.json()["nst"]
        return count

    # then the week's new tickets split by team and by agent
    assert (opened(team=support.pk), opened(team=billing.pk)) == (1, 1)
    assert (opened(agent=alice.pk), opened(agent=otto.pk), opened(agent=bob.pk)) == (1, 1, 0)
    # when Alice hands her ticket to Bob, it counts for him from then on
    actions.update_ticket(ours, TicketChanges(assignee=bob.pk), by=alice)
    assert (opened(agent=alice.pk), opened(agent=bob.pk)) == (0, 1)


def test_only_the_desks_public_answers_count_as_replies(
    policy: SlaPolicy,
    make_ticket: MakeTicket,
    dana: User,
    dave: User,
    alice: User,
    bob: User,
    clock: Clock,
) -> None:
    # given Dana's ticket where her colleague writes too, Alice notes and answers once
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, by=alice)
    actions.add_message(ticket, by=dave, body="Same on my floor.")
    actions.add_message(ticket, by=alice, body="Check the cable", internal=True)
    actions.add_message(ticket, by=alice, body="Fixed, please check.")
    _solve(ticket, alice)
    # then one reply of the desk is recorded (a first-contact resolution)
    assert _sla(ticket).agent_replies == 1
    # and when an agent asks the desk for help, her own messages are not the desk's
    # replies: only Bob's answer is
    own = make_ticket(alice, by=alice, subject="My laptop")
    actions.add_message(own, by=bob, body="Bring it by.")
    actions.add_message(own, by=alice, body="On my way.")
    _solve(own, bob)
    assert _sla(own).agent_replies == 1


def test_a_reopening_is_a_customers_reply_to_a_solved_ticket_only(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    # given a ticket solved, reopened by Dana, solved again and closed
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, by=alice)
    other = make_ticket(dana, by=alice, subject="Scanner")
    for t in (ticket, other):
        actions.add_message(t, by=alice, body="Done.")
        _solve(t, alice)
        actions.add_message(t, by=dana, body="Not done.")
    _solve(ticket, alice)
    actions.update_ticket(ticket, TicketChanges(status="closed"), by=alice)
    # then one reopening is recorded: closing is none, the other ticket's is its own
    assert _sla(ticket).reopens == 1
    _solve(other, alice)
    assert _sla(other).reopens == 1


def test_a_ticket_without_logged_time_stays_at_zero_when_the_check_recounts(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    # given an unanswered ticket with no time logged on it
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, by=alice)
    # when the periodic check finds it overdue and recomputes its clock
    clock.move_to(msk(2026, 3, 2, 13, 0))
    assert check_sla.call() == {"at_risk": 0, "breached": 1}
    # then its logged time and cost are still nothing
    sla = _sla(ticket)
    assert (sla.logged_minutes, sla.logged_cost) == (0, Decimal("0.00"))
