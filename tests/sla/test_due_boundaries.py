"""The SLA clock at its edges: the due moment itself, one second either side of it,
pauses that start or end there, and which policy a ticket gets.

The standard policy (tests/sla/conftest.py) answers in 4 business hours, again in 2
after each customer message, and resolves in 16; Moscow office hours are 09:00-18:00
and a ticket is "at risk" from 80 % of a target on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from opora.accounts.actions import create_organization, create_user
from opora.accounts.models import Organization, Team, User
from opora.inbox.email.models import Mailbox
from opora.inbox.email.pipeline import receive_and_process_many
from opora.inbox.email.tokens import reply_address
from opora.sla.models import BusinessCalendar, SlaPolicy, SlaState, TicketSla
from opora.sla.tasks import check_sla
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from opora.tickets.models import Ticket
from tests.inbox.conftest import build_mail
from tests.sla.conftest import msk

SECOND = timedelta(seconds=1)
MONDAY_9 = msk(2026, 3, 2, 9, 0)
# For a ticket opened on Monday 2 March 2026 at 09:00:
FIRST_RESPONSE_DUE = msk(2026, 3, 2, 13, 0)  # 4 business hours
FIRST_RESPONSE_WARN = msk(2026, 3, 2, 12, 12)  # 80 % of them
RESOLUTION_DUE = msk(2026, 3, 3, 16, 0)  # 16 business hours: 9 on Monday, 7 on Tuesday

MakeTicket = Callable[..., Ticket]
Clock = time_machine.Traveller


def _sla(ticket: Ticket) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket)


def _reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _opened_monday(make_ticket: MakeTicket, dana: User, alice: User, clock: Clock) -> Ticket:
    clock.move_to(MONDAY_9)
    return make_ticket(dana, by=alice)


@pytest.mark.parametrize(
    ("offset", "breached"), [(-SECOND, False), (timedelta(0), False), (SECOND, True)]
)
def test_a_first_reply_at_the_due_moment_is_in_time_one_second_later_it_is_late(
    policy: SlaPolicy,
    make_ticket: MakeTicket,
    dana: User,
    alice: User,
    clock: Clock,
    offset: timedelta,
    breached: bool,
) -> None:
    # given a ticket whose first response is due on Monday at 13:00
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    assert ticket.first_response_due_at == FIRST_RESPONSE_DUE
    # when Alice answers around that moment
    clock.move_to(FIRST_RESPONSE_DUE + offset)
    actions.add_message(ticket, by=alice, body="We are on it.")
    # then the response time is measured to the second, and late only past the target
    sla = _sla(ticket)
    assert sla.first_response_seconds == 4 * 3600 + offset.total_seconds()
    assert sla.first_response_breached is breached
    assert sla.state == (SlaState.BREACHED if breached else SlaState.OK)
    # and the first-response due time stays on the ticket for the record
    assert _reload(ticket).first_response_due_at == FIRST_RESPONSE_DUE


@pytest.mark.parametrize(
    ("offset", "breached"), [(-SECOND, False), (timedelta(0), False), (SECOND, True)]
)
def test_solving_at_the_due_moment_is_in_time_one_second_later_it_is_late(
    policy: SlaPolicy,
    make_ticket: MakeTicket,
    dana: User,
    alice: User,
    clock: Clock,
    offset: timedelta,
    breached: bool,
) -> None:
    # given a ticket answered after an hour, to be solved by Tuesday 16:00
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Looking into it.")
    assert _reload(ticket).resolution_due_at == RESOLUTION_DUE
    # when it is solved around that moment
    clock.move_to(RESOLUTION_DUE + offset)
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    # then the resolution time counts business seconds up to the solving
    sla = _sla(ticket)
    assert sla.resolution_seconds == 16 * 3600 + offset.total_seconds()
    assert sla.resolution_breached is breached
    assert sla.first_response_breached is False
    assert sla.state == (SlaState.BREACHED if breached else SlaState.OK)
    # and a solved ticket has nothing left to fall due, but keeps its due time on record
    assert (sla.due_at, sla.warn_at, sla.paused) == (None, None, False)
    assert _reload(ticket).resolution_due_at == RESOLUTION_DUE


@pytest.mark.parametrize(
    ("moment", "state"),
    [
        (FIRST_RESPONSE_WARN - SECOND, SlaState.OK),
        (FIRST_RESPONSE_WARN, SlaState.AT_RISK),
        (FIRST_RESPONSE_DUE - SECOND, SlaState.AT_RISK),
        (FIRST_RESPONSE_DUE, SlaState.BREACHED),
    ],
)
def test_the_state_turns_at_risk_and_breached_at_the_exact_moments(
    policy: SlaPolicy,
    make_ticket: MakeTicket,
    dana: User,
    alice: User,
    clock: Clock,
    moment: datetime,
    state: str,
) -> None:
    # given an unanswered ticket (warning at 12:12, due at 13:00)
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    sla = _sla(ticket)
    assert (sla.warn_at, sla.due_at, sla.state) == (
        FIRST_RESPONSE_WARN,
        FIRST_RESPONSE_DUE,
        SlaState.OK,
    )
    # when the customer adds a message at that moment (the clock is recomputed)
    clock.move_to(moment)
    actions.add_message(ticket, by=dana, body="Any news?")
    # then the state is the one of that second
    sla = _sla(ticket)
    assert sla.state == state
    # and neither target is decided before the answer and the solving
    assert (sla.first_response_breached, sla.resolution_breached) == (None, None)


def test_the_periodic_check_marks_a_ticket_breached_at_the_due_second(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(FIRST_RESPONSE_WARN - SECOND)
    assert check_sla.call() == {"at_risk": 0, "breached": 0}
    clock.move_to(FIRST_RESPONSE_DUE - SECOND)
    assert check_sla.call() == {"at_risk": 1, "breached": 0}
    clock.move_to(FIRST_RESPONSE_DUE)
    assert check_sla.call() == {"at_risk": 0, "breached": 1}
    assert _sla(ticket).state == SlaState.BREACHED


def test_a_ticket_paused_at_its_due_moment_stays_due_there(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    # given an answered ticket whose resolution is due on Tuesday at 16:00
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Could you send a screenshot?")
    # when it is set pending exactly then: the whole target was used before the pause
    clock.move_to(RESOLUTION_DUE)
    ticket = actions.update_ticket(ticket, TicketChanges(status="pending"), by=alice)
    # then it is due at that moment and breached, although its clock stands still
    sla = _sla(ticket)
    assert ticket.resolution_due_at == RESOLUTION_DUE
    assert (sla.due_at, sla.paused, sla.state) == (RESOLUTION_DUE, True, SlaState.BREACHED)


def test_a_ticket_paused_one_second_before_its_due_moment_keeps_that_second(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    # given an answered ticket set pending one second before its resolution is due
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Could you send a screenshot?")
    clock.move_to(RESOLUTION_DUE - SECOND)
    ticket = actions.update_ticket(ticket, TicketChanges(status="pending"), by=alice)
    # then nothing can fall due while it waits
    sla = _sla(ticket)
    assert ticket.resolution_due_at is None
    assert (sla.due_at, sla.warn_at, sla.paused, sla.state) == (None, None, True, SlaState.PAUSED)
    # and the periodic check leaves it alone the next morning
    clock.move_to(msk(2026, 3, 4, 9, 59))
    assert check_sla.call() == {"at_risk": 0, "breached": 0}
    # when the customer answers on Wednesday at 10:00
    clock.move_to(msk(2026, 3, 4, 10, 0))
    actions.add_message(ticket, by=dana, body="Here it is.")
    # then the clock runs again with the one second it had left
    ticket = _reload(ticket)
    sla = _sla(ticket)
    assert ticket.status == "open"
    assert ticket.resolution_due_at == msk(2026, 3, 4, 10, 0) + SECOND
    assert sla.paused is False
    # and the customer's message is due an answer in two business hours
    assert sla.next_response_due_at == msk(2026, 3, 4, 12, 0)
    assert sla.due_at == ticket.resolution_due_at


def test_a_pause_before_the_first_reply_stops_the_first_response_clock(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    # given a ticket put on hold (which the policy counts as a pause) after one hour
    policy.pause_on_hold = True
    policy.save(update_fields=["pause_on_hold"])
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    ticket = actions.update_ticket(ticket, TicketChanges(status="on_hold"), by=alice)
    assert ticket.first_response_due_at is None
    assert _sla(ticket).state == SlaState.PAUSED
    # when it comes back on Tuesday at 09:00 and is answered at 11:00
    clock.move_to(msk(2026, 3, 3, 9, 0))
    ticket = actions.update_ticket(ticket, TicketChanges(status="open"), by=alice)
    assert ticket.first_response_due_at == msk(2026, 3, 3, 12, 0)
    clock.move_to(msk(2026, 3, 3, 11, 0))
    actions.add_message(ticket, by=alice, body="Fixed the driver.")
    # then the first response took the business hours the clock ran: 1 h + 2 h
    sla = _sla(ticket)
    assert (sla.first_response_seconds, sla.first_response_breached) == (3 * 3600, False)
    # and the resolution clock lost the same pause: 16 h from Monday 09:00, minus the
    # hold, end on Wednesday at 15:00 (1 h Monday, 9 h Tuesday, 6 h Wednesday)
    assert _reload(ticket).resolution_due_at == msk(2026, 3, 4, 15, 0)


def test_a_reopened_ticket_continues_its_resolution_clock(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, ada: User, clock: Clock
) -> None:
    # given a ticket answered at 10:00 and solved at 12:00 on Monday (3 h used)
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Restart the spooler.")
    clock.move_to(msk(2026, 3, 2, 12, 0))
    ticket = actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    assert _sla(ticket).resolution_seconds == 3 * 3600
    # when the customer writes back on Tuesday at 09:00
    clock.move_to(msk(2026, 3, 3, 9, 0))
    actions.add_message(ticket, by=dana, body="It jams again.")
    ticket = _reload(ticket)
    # then the ticket is open with the 13 h it had left: Tuesday 9 h + Wednesday 4 h
    assert ticket.status == "open"
    assert ticket.resolution_due_at == msk(2026, 3, 4, 13, 0)
    sla = _sla(ticket)
    assert (sla.resolution_seconds, sla.resolution_breached) == (None, None)
    # when Ada (an admin) answers and solves it again on Tuesday at 11:00
    clock.move_to(msk(2026, 3, 3, 11, 0))
    actions.add_message(ticket, by=ada, body="Replaced the roller.")
    actions.add_message(ticket, by=alice, body="Roller part number", internal=True)
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=ada)
    # then the time while it was solved does not count, and the reopening does
    sla = _sla(ticket)
    assert (sla.resolution_seconds, sla.resolution_breached) == (5 * 3600, False)
    # and the record counts one reopening and two public answers of the desk
    assert (sla.reopens, sla.agent_replies) == (1, 2)


def test_a_customer_message_waits_for_an_answer_only_after_the_first_reply(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    # given a ticket that Dana adds to before anyone answered
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 9, 30))
    actions.add_message(ticket, by=dana, body="It also smells of smoke.")
    # then only the first response is due, not a "next" one
    assert _sla(ticket).next_response_due_at is None
    assert _sla(ticket).due_at == FIRST_RESPONSE_DUE
    # when Alice answers at 10:00 and Dana writes again at 17:00
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Please switch it off.")
    assert _sla(ticket).next_response_due_at is None
    clock.move_to(msk(2026, 3, 2, 17, 0))
    actions.add_message(ticket, by=dana, body="Done. Now what?")
    # then her message is due an answer in 2 business hours: Tuesday 10:00, with the
    # warning at 80 % of them (1 h on Monday, 36 min on Tuesday)
    sla = _sla(ticket)
    assert sla.next_response_due_at == msk(2026, 3, 3, 10, 0)
    assert (sla.due_at, sla.warn_at) == (msk(2026, 3, 3, 10, 0), msk(2026, 3, 3, 9, 36))
    # when Alice answers, nothing waits any more
    clock.move_to(msk(2026, 3, 3, 9, 30))
    actions.add_message(ticket, by=alice, body="A technician is on the way.")
    sla = _sla(ticket)
    assert sla.next_response_due_at is None
    assert sla.due_at == _reload(ticket).resolution_due_at


def test_an_internal_note_or_another_tickets_reply_does_not_answer_the_customer(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    # given Dana's message at 17:00 after the first reply: due an answer by Tuesday 10:00
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    other = make_ticket(dana, by=alice, subject="Scanner")
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Please switch it off.")
    clock.move_to(msk(2026, 3, 2, 17, 0))
    actions.add_message(ticket, by=dana, body="Done. Now what?")
    # when Alice writes an internal note on it and answers another ticket
    clock.move_to(msk(2026, 3, 2, 17, 10))
    actions.add_message(ticket, by=alice, body="Ask second line", internal=True)
    actions.add_message(other, by=alice, body="Scanner fixed.")
    # and the ticket's clock is recomputed by a change of priority
    clock.move_to(msk(2026, 3, 2, 17, 20))
    actions.update_ticket(ticket, TicketChanges(priority="high"), by=alice)
    # then Dana's message still waits for its answer
    assert _sla(ticket).next_response_due_at == msk(2026, 3, 3, 10, 0)


def test_a_ticket_solved_the_moment_it_opened_spent_no_time_on_its_line(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    actions.add_message(ticket, by=alice, body="Answered in the FAQ.")
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    sla = _sla(ticket)
    assert (sla.line1_seconds, sla.first_response_seconds, sla.resolution_seconds) == (0, 0, 0)
    assert (sla.first_response_breached, sla.resolution_breached) == (False, False)


def test_a_pending_ticket_owes_no_next_response(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Which model is it?")
    clock.move_to(msk(2026, 3, 2, 11, 0))
    actions.add_message(ticket, by=dana, body="The big one.")
    assert _sla(ticket).next_response_due_at == msk(2026, 3, 2, 13, 0)
    # when the agent puts the ticket on pending without answering
    clock.move_to(msk(2026, 3, 2, 11, 30))
    actions.update_ticket(ticket, TicketChanges(status="pending"), by=alice)
    # then nothing is due while the customer is asked to act
    sla = _sla(ticket)
    assert (sla.next_response_due_at, sla.due_at, sla.state) == (None, None, SlaState.PAUSED)


def test_an_unanswered_ticket_solved_after_its_response_was_due_keeps_the_breach(
    policy: SlaPolicy, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    # given a ticket solved without any public answer, after its response was due
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 14, 0))
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    # then no response time is recorded, but the missed response stays a breach
    sla = _sla(ticket)
    assert (sla.first_response_seconds, sla.first_response_breached) == (None, True)
    assert (sla.due_at, sla.state) == (None, SlaState.BREACHED)
    assert (sla.resolution_seconds, sla.resolution_breached) == (5 * 3600, False)


@pytest.fixture
def globex(ada: User) -> Organization:
    return create_organization(name="Globex", domains=["globex.test"], by=ada)


def test_each_ticket_gets_the_first_policy_whose_criteria_all_match(
    policy: SlaPolicy,
    office: BusinessCalendar,
    make_ticket: MakeTicket,
    dana: User,
    charlie: User,
    alice: User,
    acme: Organization,
    globex: Organization,
    clock: Clock,
) -> None:
    # given policies by organization and priority together, by organization, by type
    # and by priority, placed before the standard one
    def target(name: str, position: int, minutes: int, **criteria: Any) -> None:
        SlaPolicy.objects.create(
            name=name,
            position=position,
            calendar=office,
            first_response_minutes=minutes,
            **criteria,
        )

    target("Acme urgent", 10, 15, organization=acme, priority=4)
    target("Globex", 20, 30, organization=globex)
    target("Incidents", 30, 60, type="incident")
    target("Urgent", 40, 90, priority=4)
    clock.move_to(MONDAY_9)

    def due(requester: User, **fields: Any) -> datetime | None:
        ticket = make_ticket(requester, by=alice, **fields)
        return ticket.first_response_due_at

    def at(minutes: int) -> datetime:
        return MONDAY_9 + timedelta(minutes=minutes)

    # then each ticket is due by the first policy all of whose criteria it meets
    assert due(dana, priority="urgent") == at(15)
    assert due(dana, priority="high") == at(240)  # Acme alone has no policy
    assert due(dana, priority="urgent", type="incident") == at(15)
    assert due(charlie, priority="urgent") == at(90)
    assert due(charlie, type="incident") == at(60)
    assert due(charlie, type="question", priority="high") == at(240)


def test_the_globex_policy_applies_to_globex_tickets_only(
    policy: SlaPolicy,
    office: BusinessCalendar,
    make_ticket: MakeTicket,
    charlie: User,
    alice: User,
    globex: Organization,
    clock: Clock,
) -> None:
    SlaPolicy.objects.create(
        name="Globex", position=20, calendar=office, organization=globex, first_response_minutes=30
    )
    clock.move_to(MONDAY_9)
    gina = create_user(email="gina@globex.test", name="Gina", by=None)
    assert gina.organization == globex
    assert make_ticket(gina, by=alice).first_response_due_at == msk(2026, 3, 2, 9, 30)
    assert make_ticket(charlie, by=alice).first_response_due_at == FIRST_RESPONSE_DUE


def test_a_ticket_without_any_policy_has_no_clock(
    office: BusinessCalendar, make_ticket: MakeTicket, dana: User, alice: User, clock: Clock
) -> None:
    clock.move_to(MONDAY_9)
    ticket = make_ticket(dana, by=alice)
    clock.move_to(msk(2026, 3, 9, 9, 0))
    actions.add_message(ticket, by=alice, body="Sorry for the wait.")
    sla = _sla(ticket)
    assert (ticket.first_response_due_at, ticket.resolution_due_at) == (None, None)
    assert (sla.policy, sla.due_at, sla.warn_at, sla.state) == (None, None, None, SlaState.OK)
    assert sla.first_response_breached is None
    # and the response time is still measured, in the default calendar's hours
    assert sla.first_response_seconds == 5 * 9 * 3600  # Mon-Fri; 9 March is a holiday


def test_a_reply_fetched_in_a_mail_batch_restarts_the_clock_where_it_stopped(
    policy: SlaPolicy,
    make_ticket: MakeTicket,
    dana: User,
    charlie: User,
    alice: User,
    support: Team,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a ticket answered at 10:00 and set pending at 11:00 on Monday (2 h used)
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Which model is it?")
    clock.move_to(msk(2026, 3, 2, 11, 0))
    actions.update_ticket(ticket, TicketChanges(status="pending"), by=alice)
    # when Dana's answer arrives on Wednesday at 10:00 in one fetch with another mail
    mailbox = Mailbox.objects.create(address="support@desk.test", team=support, language="en")
    clock.move_to(msk(2026, 3, 4, 10, 0))
    rows = receive_and_process_many(
        [
            build_mail(to=reply_address(mailbox.address, ticket.number), body="The big one."),
            build_mail(sender="charlie@outside.test", subject="Fax", body="No dial tone."),
        ],
        mailbox=mailbox,
    )
    assert [r.state for r in rows] == ["parsed", "parsed"]
    assert not [r for r in caplog.records if r.getMessage().startswith("batch of")]
    assert rows[0].ticket_id == ticket.pk
    # then the ticket is open again with the 14 h it had left: Wednesday 8 h, Thursday 6 h
    ticket = _reload(ticket)
    assert ticket.status == "open"
    assert ticket.resolution_due_at == msk(2026, 3, 5, 15, 0)
    # and her message is due an answer by 12:00, the nearest due time
    sla = _sla(ticket)
    assert sla.next_response_due_at == msk(2026, 3, 4, 12, 0)
    assert (sla.due_at, sla.paused, sla.state) == (msk(2026, 3, 4, 12, 0), False, SlaState.OK)
    assert (sla.first_response_seconds, sla.first_response_breached) == (3600, False)
    # and the mail that opened a ticket got a clock of its own from that moment
    assert rows[1].ticket is not None
    assert rows[1].ticket.first_response_due_at == msk(2026, 3, 4, 14, 0)


def test_a_ticket_without_a_clock_row_gets_one_counting_from_its_creation(
    api: Callable[[User | None], Any],
    policy: SlaPolicy,
    make_ticket: MakeTicket,
    dana: User,
    alice: User,
    clock: Clock,
) -> None:
    # given a ticket on line 2 since it was opened on Monday at 09:00, with 30 minutes
    # logged, whose clock row is missing (a ticket from before the SLA records)
    ticket = _opened_monday(make_ticket, dana, alice, clock)
    ticket = actions.update_ticket(ticket, TicketChanges(line=2), by=alice)
    response = api(alice).post(f"/tickets/{ticket.number}/time", {"minutes": 30})
    assert response.status_code == 201, response.content
    TicketSla.objects.filter(ticket=ticket).delete()
    # when the ticket next changes, at 10:00, and is solved at 11:00
    clock.move_to(msk(2026, 3, 2, 10, 0))
    ticket = actions.update_ticket(ticket, TicketChanges(priority="high"), by=alice)
    sla = _sla(ticket)
    assert (sla.level, sla.logged_minutes, sla.policy) == ("2", 30, policy)
    clock.move_to(msk(2026, 3, 2, 11, 0))
    actions.add_message(ticket, by=alice, body="Done.")
    actions.update_ticket(ticket, TicketChanges(status="solved"), by=alice)
    # then its time on line 2 counts from its creation, with no escalation recorded
    sla = _sla(ticket)
    assert (sla.line1_seconds, sla.line2_seconds, sla.escalations) == (0, 2 * 3600, 0)
    assert (sla.resolution_seconds, sla.logged_minutes) == (2 * 3600, 30)
