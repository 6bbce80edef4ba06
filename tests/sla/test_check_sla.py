"""The periodic check: at risk at 80 % of a target, breached past it, people notified."""

from __future__ import annotations

from django.core import mail

from opora.core.scheduler import PERIODIC
from opora.sla.models import SlaState, TicketSla
from opora.sla.tasks import check_sla
from opora.tickets.models import Event
from tests.sla.conftest import msk


def test_check_sla_is_a_registered_periodic_job():
    assert "opora.sla.tasks.check_sla" in PERIODIC


def test_at_risk_then_breached_notifies_assignee_and_lead(
    policy, make_ticket, dana, alice, lena, clock
):
    # given a ticket opened Monday 09:00, assigned to Alice (4 h first-response target)
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, by=alice)
    from opora.tickets import actions

    actions.update_ticket(ticket, actions.TicketChanges(assignee=alice.pk), by=alice)
    # when the check runs at 12:00 (75 %) nothing happens
    clock.move_to(msk(2026, 3, 2, 12, 0))
    assert check_sla.call() == {"at_risk": 0, "breached": 0}
    # when it runs at 12:12 (80 % of 4 h is 3 h 12 min)
    clock.move_to(msk(2026, 3, 2, 12, 12))
    assert check_sla.call() == {"at_risk": 1, "breached": 0}
    assert TicketSla.objects.get(ticket=ticket).state == SlaState.AT_RISK
    assert Event.objects.filter(ticket=ticket, kind="sla_at_risk").count() == 1
    # (one mail each, in its recipient's language)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@desk.test", "lena@desk.test"]
    # and a second run does not notify twice
    assert check_sla.call() == {"at_risk": 0, "breached": 0}
    # when the due time passes
    clock.move_to(msk(2026, 3, 2, 13, 1))
    assert check_sla.call() == {"at_risk": 0, "breached": 1}
    event = Event.objects.get(ticket=ticket, kind="sla_breached")
    assert event.new == "response"
    assert TicketSla.objects.get(ticket=ticket).state == SlaState.BREACHED
    assert "breached" in mail.outbox[-1].subject
    assert len(mail.outbox) == 4


def test_a_paused_ticket_is_not_marked(policy, make_ticket, dana, alice, clock):
    from opora.tickets import actions

    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, by=alice)
    actions.add_message(ticket, by=alice, body="Which printer is it?")
    actions.update_ticket(ticket, actions.TicketChanges(status="pending"), by=alice)
    clock.move_to(msk(2026, 3, 6, 17, 0))  # long past 16 business hours of wall time
    assert check_sla.call() == {"at_risk": 0, "breached": 0}
