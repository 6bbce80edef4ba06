"""Automated messages are never an agent's first response and never count towards FCR
(docs/kpi.md, "Automated messages"): the answer bot's replies, the "problem solved"
notice to linked incidents."""

from __future__ import annotations

from opora.automation.bot import bot_user
from opora.inbox.models import Delivery
from opora.reports.kpis import ReportFilter, afrt, solved_summary
from opora.sla.models import TicketSla
from opora.sla.tasks import notify_problem_solved
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from opora.tickets.models import Message
from tests.sla.conftest import msk

WEEK = ReportFilter(start=msk(2026, 3, 2), end=msk(2026, 3, 9))


def test_a_bot_reply_is_no_first_response_and_no_reply_in_fcr(
    policy, make_ticket, dana, alice, clock
):
    # given a ticket the answer bot answered at once
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    actions.add_automated_reply(ticket, by=bot_user(), body="These articles may help.")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert Message.objects.filter(ticket=ticket, automated=True).count() == 1
    # when an agent answers at 10:00 and solves it with that one reply
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.add_message(ticket, by=alice, body="Restart it.", status="solved")
    # then the first response is the agent's, an hour in, and it is a first-contact solve
    sla = TicketSla.objects.get(ticket=ticket)
    assert (sla.first_response_seconds, sla.agent_replies) == (3600, 1)
    assert afrt(WEEK)["afrt_hours"] == 1.0
    assert solved_summary(WEEK)["fcr_rate"] == 100.0


def test_the_problem_solved_notice_is_automated_in_the_requesters_language(
    policy, make_ticket, dana, alice, clock
):
    # given an unanswered incident of a Russian-speaking customer, linked to a problem
    clock.move_to(msk(2026, 3, 2, 9, 0))
    incident = make_ticket(dana, by=alice, channel="email", language="ru", type="incident")
    problem = make_ticket(alice, by=alice, type="problem", subject="Printer driver")
    actions.link_problem(incident, problem, by=alice)
    # when the problem is solved and its incidents are told
    clock.move_to(msk(2026, 3, 2, 10, 0))
    actions.update_ticket(problem, TicketChanges(status="solved"), by=alice)
    assert notify_problem_solved.call(problem.pk) == 1
    # then the customer's notice is in Russian, automated, and on its way to them
    incident.refresh_from_db()
    notice = Message.objects.get(ticket=incident, internal=False, automated=True)
    assert "Хорошие новости" in notice.body
    assert Delivery.objects.filter(ticket_message=notice).exists()
    # and it is not the incident's first response: nothing moved, nothing counted
    assert incident.first_response_at is None
    assert incident.status == "new"
    actions.update_ticket(incident, TicketChanges(status="solved"), by=alice)
    assert TicketSla.objects.get(ticket=incident).agent_replies == 0
