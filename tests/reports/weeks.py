"""Two hand-built weeks for the dashboard, export and digest tests (Moscow office hours,
4 h / 16 h targets, from tests/sla/conftest.py).

Week before, Mon 9 - Sun 15 March 2026 (Monday the 9th is a public holiday):
  A1 email  Tue 09:00, Alice replies 10:00, solved 11:00 (first contact); rated 4
  A2 web    Wed 09:00, Alice replies 13:00, solved 14:00 (first contact)
Last week, Mon 16 - Sun 22 March 2026:
  B1 email  Mon 09:00, Alice replies 09:30, logs 45 min (2,000 an hour), solved 10:00
            (first contact); rated 5
  B2 web    Mon 10:00 high, Bob's; escalated to line 2 at 11:00, Bob replies 12:00,
            solved Wed 12:00 (one reply but escalated: no first contact;
            20 business hours: breached)
  B3 chat   Tue 09:00, Alice replies 10:00, solved 11:00, reopened 12:00, solved 13:00
  B4 email  Wed 09:00, never answered: backlog, overdue by the end of the week
The clock stops on Monday 23 March, 09:00 Moscow: the digest's Monday morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from opora.accounts.models import User
from opora.feedback.actions import rate_ticket
from opora.feedback.tasks import send_rating_request
from opora.sla.actions import escalate_ticket
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from opora.tickets.models import Ticket
from tests.reports.conftest import msk

LAST_WEEK = {"start": "2026-03-16", "end": "2026-03-22"}
WEEK_BEFORE = {"start": "2026-03-09", "end": "2026-03-15"}


@dataclass
class Weeks:
    before: list[Ticket]
    last: list[Ticket]


def _solve(ticket, agent):
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=agent)
    send_rating_request.call(ticket.pk)


def _open(make_ticket, requester, agent, **kw):
    ticket = make_ticket(requester, by=agent, **kw)
    return actions.update_ticket(ticket, TicketChanges(assignee=agent.pk), by=agent)


@pytest.fixture
def weeks(policy, make_ticket, dana, dave, alice, bob, lena, clock) -> Weeks:
    User.objects.filter(pk=alice.pk).update(cost_per_hour=Decimal("2000"))
    alice.refresh_from_db()
    at = clock.move_to
    at(msk(2026, 3, 10, 9))
    a1 = _open(make_ticket, dana, alice, channel="email", subject="A1 printer")
    at(msk(2026, 3, 10, 10))
    actions.add_message(a1, by=alice, body="Restart it.")
    at(msk(2026, 3, 10, 11))
    _solve(a1, alice)
    rate_ticket(a1, by=dana, score=4)
    at(msk(2026, 3, 11, 9))
    a2 = _open(make_ticket, dave, alice, channel="web", subject="A2 login")
    at(msk(2026, 3, 11, 13))
    actions.add_message(a2, by=alice, body="Reset.")
    at(msk(2026, 3, 11, 14))
    _solve(a2, alice)

    at(msk(2026, 3, 16, 9))
    b1 = _open(make_ticket, dana, alice, channel="email", subject="B1 scanner")
    at(msk(2026, 3, 16, 9, 30))
    actions.add_message(b1, by=alice, body="Fixed.")
    actions.log_time(b1, by=alice, minutes=45)
    at(msk(2026, 3, 16, 10))
    _solve(b1, alice)
    rate_ticket(b1, by=dana, score=5)
    at(msk(2026, 3, 16, 10))
    b2 = _open(make_ticket, dave, bob, channel="web", priority="high", subject="B2 database")
    at(msk(2026, 3, 16, 11))
    escalate_ticket(b2, to="2", reason="Database", by=alice)
    at(msk(2026, 3, 16, 12))
    actions.add_message(b2, by=bob, body="Rebuilt the index.")
    at(msk(2026, 3, 18, 12))
    _solve(b2, bob)
    at(msk(2026, 3, 17, 9))
    b3 = _open(make_ticket, dana, alice, channel="chat", subject="B3 mail")
    at(msk(2026, 3, 17, 10))
    actions.add_message(b3, by=alice, body="Done.")
    at(msk(2026, 3, 17, 11))
    _solve(b3, alice)
    at(msk(2026, 3, 17, 12))
    actions.add_message(b3, by=dana, body="Still broken.")
    at(msk(2026, 3, 17, 13))
    _solve(b3, alice)
    at(msk(2026, 3, 18, 9))
    b4 = _open(make_ticket, dana, alice, channel="email", subject="B4 vpn")
    at(msk(2026, 3, 23, 9))
    return Weeks(before=[a1, a2], last=[b1, b2, b3, b4])
