"""How automation reacts to ticket changes (subscribed in `AutomationConfig.ready()`)."""

from __future__ import annotations

import uuid

from opora.automation import bot, coach, listeners, routing, triggers, webhooks
from opora.automation.models import (
    BotSettings,
    RoutingSettings,
    RoutingStrategy,
    TriggerEvent,
)
from opora.automation.tasks import (
    answer_new_ticket_task,
    drain_team_task,
    route_ticket_task,
    run_triggers_task,
)
from opora.core.tasks import enqueue_many
from opora.sla.domain_events import SlaWarned
from opora.tickets.domain_events import MessageAdded, TicketChanged, TicketOpened, TicketSolved


def schedule_answers(events: list[TicketOpened]) -> None:
    """New requests on the bot's channels get its answer in a job, if the bot is on."""
    wanted = [(e.ticket.pk,) for e in events if e.ticket.channel in bot.BOT_CHANNELS]
    # The team's own settings are checked when the job runs; here only whether the bot
    # is on anywhere (one look for the whole batch).
    if wanted and BotSettings.objects.filter(enabled=True).exists():
        enqueue_many(answer_new_ticket_task, wanted)


def read_replies(events: list[MessageAdded]) -> None:
    """A requester's reply to a ticket whose bot waits is the answer to its question."""
    replies = [e for e in events if e.from_requester]
    if not replies:
        return
    waiting = bot.awaiting_answers(sorted({e.ticket.pk for e in replies}))
    for event in replies:  # in order: the first reply is the answer
        if event.ticket.pk in waiting:
            waiting.discard(event.ticket.pk)
            bot.read_reply(event.ticket.pk, event.message.body)


def route_opened(events: list[TicketOpened]) -> None:
    """New tickets of teams that route get an agent in a job (one look for the batch)."""
    teams = {e.ticket.team_id for e in events if e.ticket.team_id and e.ticket.assignee_id is None}
    if not teams:
        return
    routed = set(
        RoutingSettings.objects.filter(team_id__in=teams)
        .exclude(strategy=RoutingStrategy.OFF)
        .values_list("team_id", flat=True)
    )
    wanted = [
        (e.ticket.pk,)
        for e in events
        if e.ticket.team_id in routed and e.ticket.assignee_id is None
    ]
    enqueue_many(route_ticket_task, wanted)


# A change of these leaves a ticket to be routed anew, if it has no assignee now.
ROUTE_AGAIN = frozenset({"team", "line", "assignee"})


def route_changed(events: list[TicketChanged]) -> None:
    """A ticket moved to another team or line (by an agent, a trigger, a macro or the
    API), or handed back to its team's queue, is routed at once in a job when it has
    no assignee; routing's own assignments give it one, so nothing loops."""
    moved = [
        e.ticket
        for e in events
        if ROUTE_AGAIN & set(e.fields) and e.ticket.team_id and e.ticket.assignee_id is None
    ]
    if not moved:
        return
    routed = routing.routed_teams({t.team_id for t in moved if t.team_id})
    wanted = [(pk,) for pk in sorted({t.pk for t in moved if t.team_id in routed})]
    enqueue_many(route_ticket_task, wanted)


def drain_freed(events: list[TicketSolved]) -> None:
    """A solved ticket frees its assignee's capacity: the team's queue moves on."""
    teams = sorted({e.ticket.team_id for e in events if e.ticket.team_id and e.ticket.assignee_id})
    routed = list(
        RoutingSettings.objects.filter(team_id__in=teams)
        .exclude(strategy=RoutingStrategy.OFF)
        .values_list("team_id", flat=True)
    )
    enqueue_many(drain_team_task, [(pk,) for pk in routed])


def coach_sent_replies(events: list[MessageAdded]) -> None:
    """Each public reply a person of the desk sent is checked by the reply coach once,
    and the verdict kept for the per-agent etiquette report."""

    replies = [e.message for e in events if e.from_desk and not e.automated]
    # Called in the reply's transaction: the messages were just written, none is checked.
    coach.record_checks(replies, fresh=True)


# --- Triggers and outbound webhooks -----------------------------------------------


def _queue_triggers(event: str, calls: list[tuple[str, int, str, int | None]]) -> None:
    """Queue the trigger job per event, if any active trigger listens to `event`."""
    if calls and event in listeners.trigger_events():
        enqueue_many(run_triggers_task, list(calls))


def triggers_on_opened(events: list[TicketOpened]) -> None:
    ids = [e.ticket.pk for e in events]
    _queue_triggers(TriggerEvent.CREATED, [("created", pk, f"created:{pk}", None) for pk in ids])
    webhooks.queue_event("created", ids)


def triggers_on_message(events: list[MessageAdded]) -> None:
    by_kind: dict[str, list[tuple[str, int, str, int | None]]] = {}
    for e in events:
        if triggers.is_trigger_user(e.by) or e.automated:
            continue  # depth 1 (a trigger's own reply), or the desk's automation writing
        kind = triggers.event_of_message(e.public, e.from_requester, e.by)
        if kind is not None:
            by_kind.setdefault(kind, []).append(
                (kind, e.ticket.pk, f"message:{e.message.pk}", e.message.pk)
            )
    for kind, calls in by_kind.items():
        _queue_triggers(kind, calls)
    public = [e for e in events if e.public]
    webhooks.queue_event(
        "replied", [e.ticket.pk for e in public], {e.ticket.pk: e.message for e in public}
    )


def triggers_on_change(events: list[TicketChanged]) -> None:
    calls: list[tuple[str, int, str, int | None]] = [
        (
            TriggerEvent.STATUS_CHANGED,
            e.ticket.pk,
            f"status:{e.ticket.pk}:{uuid.uuid4().hex}",
            None,
        )
        for e in events
        if "status" in e.fields and not triggers.is_trigger_user(e.by)
    ]
    _queue_triggers(TriggerEvent.STATUS_CHANGED, calls)
    webhooks.queue_event("updated", [e.ticket.pk for e in events])


def triggers_on_sla(events: list[SlaWarned]) -> None:
    """An SLA warning runs the "SLA at risk" triggers once (the warning's row is the key)."""
    calls: list[tuple[str, int, str, int | None]] = [
        (TriggerEvent.SLA_AT_RISK, e.ticket.pk, f"sla_at_risk:{e.event_id}", None)
        for e in events
        if e.kind == "at_risk"
    ]
    _queue_triggers(TriggerEvent.SLA_AT_RISK, calls)


def webhooks_on_solved(events: list[TicketSolved]) -> None:
    webhooks.queue_event("solved", [e.ticket.pk for e in events])
