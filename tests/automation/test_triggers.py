"""Triggers: conditions, actions, order, at most once per event, no loops."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail as djmail

from opora.automation import triggers
from opora.automation.models import Trigger, TriggerRun
from opora.automation.triggers import Occurrence, condition_holds, save_trigger, trigger_user
from opora.core import clock as wall_clock
from opora.core.errors import ValidationFailed
from opora.core.models import AdminChange
from opora.core.tasks import run_queued_tasks
from opora.inbox.models import Delivery
from opora.tickets import actions
from opora.tickets.models import Event, EventKind, Priority, Ticket
from tests.sla.conftest import clock, msk, office, policy
from tests.writes import nothing_written

__all__ = ["clock", "office", "policy"]


def tags(ticket: Ticket) -> set[str]:
    return set(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Do something, let its after-commit handlers queue jobs, run them (and theirs)."""

    def run(fn):
        with django_capture_on_commit_callbacks(execute=True):
            result = fn()
        for _ in range(5):  # jobs whose changes queue more jobs
            with django_capture_on_commit_callbacks(execute=True):
                if not run_queued_tasks():
                    break
        return result

    return run


def trigger(ada, name="t", event="created", conditions=(), actions_=(), match="all"):
    return save_trigger(
        by=ada,
        name=name,
        event=event,
        match=match,
        conditions=list(conditions),
        actions=list(actions_) or [{"type": "add_tags", "value": [name]}],
    )


def cond(field, operator, value=None):
    return {"field": field, "operator": operator, "value": value}


# --- Conditions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (cond("status", "is", "new"), True),
        (cond("status", "is_not", "new"), False),
        (cond("status", "in", ["open", "new"]), True),
        (cond("status", "not_in", ["open", "new"]), False),
        (cond("priority", "is", "high"), True),
        (cond("priority", "is", "low"), False),
        (cond("type", "is", "question"), True),
        (cond("channel", "is", "web"), True),
        (cond("channel", "in", ["email", "chat"]), False),
        (cond("line", "is", 1), True),
        (cond("assignee", "is_not_set"), True),
        (cond("assignee", "is_set"), False),
        (cond("team", "is_set"), True),
        (cond("organization", "is_set"), True),
        (cond("tags", "contains", "printer"), True),
        (cond("tags", "not_contains", "printer"), False),
        (cond("tags", "contains", "billing"), False),
        (cond("vip", "is", True), True),
        (cond("vip", "is", False), False),
        (cond("message", "contains", "NOTHING comes out"), True),
        (cond("message", "not_contains", "refund"), True),
        (cond("language", "is", "en"), True),
        (cond("language", "not_in", ["en"]), False),
    ],
)
def test_each_condition_operator(make_ticket, dana, acme, alice, condition, holds):
    acme.vip = True
    acme.save()
    ticket = make_ticket(dana, by=alice, channel="web", priority="high", tags=["printer"])
    ticket = Ticket.objects.select_related("organization").get(pk=ticket.pk)
    assert ticket.language == "en"
    clean, _ = triggers.clean_definition(
        "created", "all", [condition], [{"type": "add_tags", "value": ["x"]}]
    )
    assert condition_holds(clean[0], ticket, Occurrence("created", ticket, None)) is holds


def test_team_and_assignee_conditions_compare_ids(make_ticket, dana, support, alice):
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(assignee=alice.pk), by=alice)
    ticket = Ticket.objects.get(pk=ticket.pk)
    occurrence = Occurrence("created", ticket, None)
    assert condition_holds(cond("team", "is", support.pk), ticket, occurrence)
    assert condition_holds(cond("assignee", "in", [alice.pk]), ticket, occurrence)
    assert not condition_holds(cond("assignee", "is", alice.pk + 100), ticket, occurrence)


def test_within_business_hours_follows_the_default_calendar(make_ticket, dana):
    from opora.sla.models import BusinessCalendar

    BusinessCalendar.objects.create(name="Office", is_default=True, time_zone="UTC")
    ticket = make_ticket(dana)
    occurrence = Occurrence("created", ticket, None)
    inside = datetime(2030, 3, 5, 11, 0, tzinfo=UTC)  # a Tuesday
    outside = datetime(2030, 3, 9, 11, 0, tzinfo=UTC)  # a Saturday
    with wall_clock.use(lambda: inside):
        assert condition_holds(cond("business_hours", "is", True), ticket, occurrence)
    with wall_clock.use(lambda: outside):
        assert condition_holds(cond("business_hours", "is", False), ticket, occurrence)


def test_any_matches_when_one_condition_holds(make_ticket, dana, ada, run_jobs):
    trigger(
        ada,
        "either",
        match="any",
        conditions=[cond("priority", "is", "urgent"), cond("channel", "is", "web")],
    )
    trigger(
        ada,
        "both",
        conditions=[cond("priority", "is", "urgent"), cond("channel", "is", "web")],
    )
    ticket = run_jobs(lambda: make_ticket(dana, channel="web"))
    assert tags(ticket) == {"either"}


def test_the_sentiment_condition_reads_the_customers_tone(make_ticket, dana, ada, run_jobs):
    trigger(
        ada,
        "upset",
        conditions=[cond("sentiment", "is", "negative")],
        actions_=[{"type": "priority", "value": "high"}, {"type": "add_tags", "value": ["upset"]}],
    )
    calm = run_jobs(lambda: make_ticket(dana, body="How do I change my invoice address?"))
    angry = run_jobs(lambda: make_ticket(dana, body="Третий день не работает, это возмутительно!"))
    assert tags(calm) == set() and tags(angry) == {"upset"}
    assert Ticket.objects.get(pk=angry.pk).priority == Priority.HIGH
    with pytest.raises(ValidationFailed) as refused:
        triggers.clean_definition("created", "all", [cond("sentiment", "is", "furious")], [])
    assert refused.value.field == "conditions.0.value"


def test_is_one_of_nothing_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        triggers.clean_definition(
            "created", "all", [cond("status", "in", [])], [{"type": "add_tags", "value": ["x"]}]
        )
    assert refused.value.field == "conditions.0.value"


# --- Actions --------------------------------------------------------------------------


def test_field_actions_apply_with_the_trigger_named_in_history(
    make_ticket, dana, ada, alice, billing, otto, run_jobs
):
    rule = trigger(
        ada,
        "escalate",
        conditions=[cond("message", "contains", "printer")],
        actions_=[
            {"type": "priority", "value": "urgent"},
            {"type": "type", "value": "problem"},
            {"type": "line", "value": 2},
            {"type": "assign_team", "value": billing.pk},
            {"type": "assign_person", "value": otto.pk},
            {"type": "status", "value": "open"},
            {"type": "add_tags", "value": ["hot"]},
        ],
    )
    ticket = run_jobs(lambda: make_ticket(dana))
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT and ticket.type == "problem" and ticket.line == 2
    assert ticket.team_id == billing.pk and ticket.assignee_id == otto.pk
    assert ticket.status == "open" and tags(ticket) == {"hot"}
    changed = Event.objects.filter(ticket=ticket, actor=trigger_user())
    assert changed.count() >= 6
    assert all(e.data["trigger_name"] == "escalate" for e in changed)
    assert all(e.data["trigger"] == rule.pk for e in changed)
    run = TriggerRun.objects.get(trigger=rule)
    assert (run.ticket_id, run.event, run.result) == (ticket.pk, "created", "applied")


def test_remove_tags(make_ticket, dana, ada, alice, run_jobs):
    trigger(ada, "untag", actions_=[{"type": "remove_tags", "value": ["spam"]}])
    ticket = run_jobs(lambda: make_ticket(dana, by=alice, tags=["spam", "printer"]))
    assert tags(ticket) == {"printer"}


def test_notify_mails_the_team_and_the_reply_reaches_the_customer(
    make_ticket, dana, ada, support, run_jobs
):
    trigger(
        ada,
        "ack",
        actions_=[
            {
                "type": "notify",
                "value": {"to": "team", "subject": "New {{ ticket.number }}", "body": "See it"},
            },
            {"type": "reply", "value": "We got #{{ ticket.number }}: {{ ticket.subject }}"},
        ],
    )
    djmail.outbox.clear()
    ticket = run_jobs(lambda: make_ticket(dana, channel="email"))
    notice = next(m for m in djmail.outbox if m.subject == f"New {ticket.number}")
    assert set(notice.to) == set(support.members.values_list("email", flat=True))
    reply = ticket.messages.get(author=trigger_user())
    assert reply.body == f"We got #{ticket.number}: Printer does not print"
    assert reply.automated and not reply.internal
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # never a first response
    assert Delivery.objects.filter(ticket_message=reply).exists()  # sent to the customer


def test_a_refused_action_is_recorded_not_raised(make_ticket, dana, ada, run_jobs):
    rule = trigger(ada, "close-new", actions_=[{"type": "status", "value": "closed"}])
    ticket = run_jobs(lambda: make_ticket(dana))
    ticket.refresh_from_db()
    assert ticket.status != "closed"
    assert TriggerRun.objects.get(trigger=rule).result.startswith("invalid_transition")


# --- Events, order, once --------------------------------------------------------------


def test_customer_and_agent_replies_and_status_changes_are_their_own_events(
    make_ticket, dana, alice, ada, run_jobs
):
    trigger(ada, "customer", event="customer_replied")
    trigger(ada, "agent", event="agent_replied")
    trigger(ada, "pending", event="status_changed", conditions=[cond("status", "is", "pending")])
    ticket = run_jobs(lambda: make_ticket(dana))
    assert tags(ticket) == set()
    run_jobs(lambda: actions.add_message(ticket, by=alice, body="Restart it", status="pending"))
    assert tags(ticket) == {"agent", "pending"}
    run_jobs(lambda: actions.add_message(ticket, by=dana, body="Did not help"))
    assert tags(ticket) == {"agent", "pending", "customer"}
    # an internal note is no reply
    run_jobs(lambda: actions.add_message(ticket, by=alice, body="hm", internal=True))
    assert TriggerRun.objects.filter(trigger__name="agent").count() == 1


def test_triggers_run_in_order_and_see_what_earlier_ones_changed(make_ticket, dana, ada, run_jobs):
    second = trigger(
        ada,
        "second",
        conditions=[cond("priority", "is", "urgent")],
        actions_=[{"type": "add_tags", "value": ["saw-urgent"]}],
    )
    first = trigger(ada, "first", actions_=[{"type": "priority", "value": "urgent"}])
    ticket = run_jobs(lambda: make_ticket(dana))
    assert tags(ticket) == set()  # "second" ran before "first" set urgent
    triggers.reorder_triggers([first.pk, second.pk], by=ada)
    ticket = run_jobs(lambda: make_ticket(dana))
    assert tags(ticket) == {"saw-urgent"}


def test_a_trigger_runs_at_most_once_per_event(make_ticket, dana, ada):
    rule = trigger(ada, "once", actions_=[{"type": "reply", "value": "Hello"}])
    ticket = make_ticket(dana)
    assert triggers.run_triggers("created", ticket.pk, f"created:{ticket.pk}") == ["once"]
    # the same event again (a job run twice) changes nothing
    assert triggers.run_triggers("created", ticket.pk, f"created:{ticket.pk}") == []
    assert ticket.messages.filter(author=trigger_user()).count() == 1
    assert TriggerRun.objects.filter(trigger=rule).count() == 1


def test_a_trigger_that_would_refire_itself_runs_once(make_ticket, dana, ada, alice, run_jobs):
    # a reply on agent reply, a reopen on status change: each its own cause again
    trigger(ada, "echo", event="agent_replied", actions_=[{"type": "reply", "value": "echo"}])
    trigger(
        ada,
        "flip",
        event="status_changed",
        actions_=[{"type": "status", "value": "on_hold"}],
    )
    ticket = run_jobs(lambda: make_ticket(dana))
    run_jobs(lambda: actions.add_message(ticket, by=alice, body="Hi", status="pending"))
    assert ticket.messages.filter(author=trigger_user()).count() == 1
    assert TriggerRun.objects.filter(trigger__name="flip").count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "on_hold"


def test_two_triggers_cannot_ping_pong(make_ticket, dana, ada, alice, run_jobs):
    trigger(
        ada,
        "ping",
        event="status_changed",
        conditions=[cond("status", "is", "pending")],
        actions_=[{"type": "status", "value": "on_hold"}],
    )
    trigger(
        ada,
        "pong",
        event="status_changed",
        conditions=[cond("status", "is", "on_hold")],
        actions_=[{"type": "status", "value": "pending"}],
    )
    ticket = run_jobs(lambda: make_ticket(dana))
    run_jobs(
        lambda: actions.update_ticket(ticket, actions.TicketChanges(status="pending"), by=alice)
    )
    # ping (pending → on hold), then pong in the same pass (on hold → pending); their
    # own status changes are depth 1 and fire nothing more
    assert list(TriggerRun.objects.values_list("trigger__name", flat=True).order_by("id")) == [
        "ping",
        "pong",
    ]
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"


def test_inactive_triggers_do_not_run(make_ticket, dana, ada, run_jobs):
    rule = trigger(ada, "off")
    triggers.set_trigger_active(rule, False, by=ada)
    ticket = run_jobs(lambda: make_ticket(dana))
    assert tags(ticket) == set()


def test_sla_warning_fires_at_risk_triggers_once_and_breach_does_not(
    make_ticket, dana, ada, run_jobs, policy, clock
):
    from opora.sla.tasks import check_sla

    trigger(ada, "risk", event="sla_at_risk")
    ticket = make_ticket(dana)  # 9:00, first response due in 4 business hours
    # the SLA check itself publishes the warning: no polling job in between
    clock.move_to(msk(2026, 3, 2, 12, 50))
    run_jobs(check_sla.call)
    assert tags(ticket) == {"risk"}
    run_jobs(check_sla.call)  # nothing new to warn about: the trigger does not run again
    clock.move_to(msk(2026, 3, 2, 14, 30))
    run_jobs(check_sla.call)  # the breach is not "at risk"
    assert TriggerRun.objects.filter(trigger__name="risk").count() == 1
    assert Event.objects.filter(ticket=ticket, kind=EventKind.SLA_BREACHED).exists()


def test_a_trigger_saved_after_tickets_flowed_fires_at_once(make_ticket, dana, ada, run_jobs):
    """Which events have triggers is cached for the write path; an edit is seen at once."""
    first = run_jobs(lambda: make_ticket(dana))  # the cache now says: no triggers
    assert tags(first) == set()
    run_jobs(lambda: trigger(ada, "late"))
    second = run_jobs(lambda: make_ticket(dana))
    assert tags(second) == {"late"}
    rule = Trigger.objects.get(name="late")
    run_jobs(lambda: triggers.set_trigger_active(rule, False, by=ada))
    third = run_jobs(lambda: make_ticket(dana))
    assert tags(third) == set()


# --- Definitions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "actions_", "field"),
    [
        (
            [cond("colour", "is", "red")],
            [{"type": "add_tags", "value": ["x"]}],
            "conditions.0.field",
        ),
        (
            [cond("tags", "is", "x")],
            [{"type": "add_tags", "value": ["x"]}],
            "conditions.0.operator",
        ),
        (
            [cond("status", "in", "open")],
            [{"type": "add_tags", "value": ["x"]}],
            "conditions.0.value",
        ),
        ([], [], "actions"),
        ([], [{"type": "explode", "value": 1}], "actions.0.type"),
        ([], [{"type": "status", "value": "nope"}], "actions.0.value"),
        ([], [{"type": "assign_person", "value": 999999}], "actions.0.value"),
        ([], [{"type": "notify", "value": {"to": "everyone", "body": "x"}}], "actions.0.value"),
    ],
)
def test_bad_definitions_are_refused_and_write_nothing(ada, conditions, actions_, field):
    with nothing_written(), pytest.raises(ValidationFailed) as refused:
        save_trigger(by=ada, name="bad", event="created", conditions=conditions, actions=actions_)
    assert refused.value.field == field


def test_changes_to_triggers_are_audited(ada):
    rule = trigger(ada, "audited")
    save_trigger(
        by=ada,
        trigger=rule,
        name="renamed",
        event="created",
        conditions=[],
        actions=[{"type": "add_tags", "value": ["x"]}],
    )
    triggers.delete_trigger(rule, by=ada)
    assert list(
        AdminChange.objects.filter(area="automation")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["created", "changed", "deleted"]
