"""Escalation between lines and to the lead: by hand, back down, and by rules."""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from opora.sla.models import EscalationRule, TicketSla
from opora.sla.tasks import apply_escalation_rules_task, check_sla
from opora.tickets import actions
from opora.tickets.models import Event
from tests.sla.conftest import msk
from tests.writes import nothing_written


def test_escalate_to_line_2_then_lead_then_back_records_hops_and_time(
    api, make_ticket, dana, alice, bob, lena, clock
):
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, by=alice)
    # when Alice escalates to line 2 after 30 minutes, with a reason
    clock.move_to(msk(2026, 3, 2, 9, 30))
    response = api(alice).post(
        f"/tickets/{ticket.number}/escalate", {"to": "2", "reason": "Needs a log analysis"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["level"] == "2"
    # and Bob hands it to the team lead an hour later
    clock.move_to(msk(2026, 3, 2, 10, 30))
    body = (
        api(bob)
        .post(f"/tickets/{ticket.number}/escalate", {"to": "lead", "reason": "Refund decision"})
        .json()
    )
    assert body["level"] == "lead"
    ticket.refresh_from_db()
    assert (ticket.line, ticket.assignee) == (2, lena)
    # and Lena sends it back to line 2 after 15 minutes
    clock.move_to(msk(2026, 3, 2, 10, 45))
    body = (
        api(lena)
        .post(f"/tickets/{ticket.number}/de-escalate", {"to": "2", "reason": "Approved"})
        .json()
    )
    # then every hop is an event with its reason
    hops = list(Event.objects.filter(ticket=ticket, kind="line_changed").order_by("id"))
    assert [(e.old, e.new, e.data["reason"], e.data["direction"]) for e in hops] == [
        ("1", "2", "Needs a log analysis", "up"),
        ("2", "lead", "Refund decision", "up"),
        ("lead", "2", "Approved", "down"),
    ]
    # and the time on each level is recorded, with two upward hops
    assert body["seconds_per_level"] == {"1": 1800, "2": 3600, "3": 0, "lead": 900}
    assert body["escalations"] == 2


def test_customers_and_other_teams_cannot_escalate(api, make_ticket, dana, alice, otto, billing):
    ticket = make_ticket(dana, by=alice)
    for outsider in (api(dana), api(otto)):
        with nothing_written(ticket):
            answers = [
                outsider.post(f"/tickets/{ticket.number}/escalate", {"to": "2", "reason": "x"}),
                outsider.post(f"/tickets/{ticket.number}/de-escalate", {"to": "1", "reason": "x"}),
                outsider.post(f"/tickets/{ticket.number}/hand-to-development"),
            ]
        assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "not_found")] * 3


def test_escalation_needs_a_reason_and_a_higher_level(api, make_ticket, dana, alice):
    ticket = make_ticket(dana, by=alice)
    desk = api(alice)
    with nothing_written(ticket):
        answers = [
            desk.post(f"/tickets/{ticket.number}/escalate", {"to": "2", "reason": "  "}),
            desk.post(f"/tickets/{ticket.number}/escalate", {"to": "1", "reason": "why"}),
        ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (422, "reason_required"),
        (422, "not_higher"),
    ]


def test_a_rule_escalates_urgent_incidents_to_line_2(make_ticket, dana, alice):
    EscalationRule.objects.create(
        name="Urgent incidents", priority=4, type="incident", to_level="2", reason="Urgent incident"
    )
    urgent = make_ticket(dana, by=alice, priority="urgent", type="incident")
    normal = make_ticket(dana, by=alice, type="incident")
    # when the rules job runs for both (it is queued after each commit)
    assert apply_escalation_rules_task.call(urgent.pk) is True
    assert apply_escalation_rules_task.call(normal.pk) is False
    urgent.refresh_from_db()
    assert urgent.line == 2
    hop = Event.objects.get(ticket=urgent, kind="line_changed")
    assert (hop.actor, hop.data["reason"]) == (None, "Urgent incident")


def test_a_risk_rule_escalates_to_the_lead_when_the_sla_is_at_risk(
    policy, make_ticket, dana, alice, lena, clock
):
    EscalationRule.objects.create(
        name="At risk",
        on_risk=True,
        organization=dana.organization,
        to_level="lead",
        reason="SLA at risk",
    )
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, by=alice)
    assert apply_escalation_rules_task.call(ticket.pk) is False  # not at risk yet
    clock.move_to(msk(2026, 3, 2, 12, 30))
    check_sla.call()
    assert TicketSla.objects.get(ticket=ticket).level == "lead"
    ticket.refresh_from_db()
    assert ticket.assignee == lena


def test_changing_the_line_through_the_api_counts_as_a_hop(api, make_ticket, dana, alice, clock):
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, by=alice)
    clock.move_to(msk(2026, 3, 2, 9, 10))
    actions.update_ticket(ticket, actions.TicketChanges(line=3), by=alice)
    sla = TicketSla.objects.get(ticket=ticket)
    assert (sla.level, sla.line1_seconds, sla.escalations) == ("3", 600, 1)


def _rule_jobs() -> list[list[int]]:
    jobs = DBTaskResult.objects.filter(task_path__endswith="apply_escalation_rules_task")
    return [job.args_kwargs["args"] for job in jobs]


def test_rule_jobs_are_queued_only_while_a_rule_is_active(
    make_ticket, dana, alice, django_capture_on_commit_callbacks
):
    # given no escalation rule: a new ticket queues no job that would find nothing to do
    with django_capture_on_commit_callbacks(execute=True):
        quiet = make_ticket(dana, by=alice, priority="urgent", type="incident")
    assert _rule_jobs() == []
    # when an admin adds a rule, the next ticket's job is queued (and escalates it)
    rule = EscalationRule.objects.create(
        name="Urgent incidents", priority=4, type="incident", to_level="2", reason="Urgent"
    )
    with django_capture_on_commit_callbacks(execute=True):
        loud = make_ticket(dana, by=alice, priority="urgent", type="incident")
    assert [loud.pk] in _rule_jobs() and [quiet.pk] not in _rule_jobs()
    assert apply_escalation_rules_task.call(loud.pk) is True
    # and once the rule is switched off, no more jobs
    rule.is_active = False
    rule.save()
    before = len(_rule_jobs())
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(dana, by=alice)
    assert len(_rule_jobs()) == before
