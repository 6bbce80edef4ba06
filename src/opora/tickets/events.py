"""Constructors of audit events, one per kind; values are codes, never translated labels."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opora.accounts.models import User
from opora.core import clock as wall_clock
from opora.core.bulk import copy_rows
from opora.core.numbers import parse_id
from opora.core.realtime import anyone_may_listen, audience, publish_ticket_events
from opora.core.transaction import after_commit
from opora.tickets.models import Event, EventKind, Message, Priority, Ticket
from opora.tickets.selectors import hidden_among

# Events built while `recorded_together` is active wait here for one multi-row insert.
_pending: ContextVar[list[Event] | None] = ContextVar("pending_events", default=None)
# What made the changes recorded inside `recorded_via` (a trigger, a time automation).
_via: ContextVar[dict[str, Any] | None] = ContextVar("events_via", default=None)


@contextmanager
def recorded_via(via: dict[str, Any]) -> Iterator[None]:
    """Events built inside carry `via` in their data ("changed by trigger X")."""
    token = _via.set(via)
    try:
        yield
    finally:
        _via.reset(token)


@contextmanager
def recorded_together() -> Iterator[list[Event]]:
    """Write the events constructed inside in one insert when the block ends.

    For bulk writers (e-mail intake in batches): the constructors below stay the one
    place an event is shaped. Nothing inside may read events back before the block ends.
    """
    events: list[Event] = []
    token = _pending.set(events)
    try:
        yield events
    finally:
        _pending.reset(token)
    if events:
        copy_rows(Event, events)
        after_commit(_publish, [_change(e) for e in events])


_SHORT = Event._meta.get_field("old").max_length or 255


def _short(value: str) -> str:
    return value if len(value) <= _SHORT else value[: _SHORT - 1] + "…"


def _event(
    ticket: Ticket,
    by: User | None,
    kind: str,
    *,
    old: object = "",
    new: object = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    event = Event(
        ticket=ticket,
        actor=by,
        kind=kind,
        # The columns hold a short summary (a list of tags can be longer); the whole
        # value is in `data` wherever it may not fit.
        old=_short("" if old is None else str(old)),
        new=_short("" if new is None else str(new)),
        data={**(data or {}), **(_via.get() or {})},
        created_at=at or wall_clock.now(),
    )
    pending = _pending.get()
    if pending is not None:
        pending.append(event)
        return event
    event.save(force_insert=True)
    # Agents who may open the ticket hear about the change once it is committed.
    after_commit(_publish, [_change(event)])
    return event


@dataclass(frozen=True)
class _Change:
    """What the live queue is told of an event, and who may hear it: the ticket's team
    (and, when it moved, the one it left), or triage; its assignee; admins."""

    ticket_id: int
    number: int
    kind: str
    teams: tuple[int | None, ...]
    assignee_id: int | None


def _change(event: Event) -> _Change:
    ticket = event.ticket
    teams: list[int | None] = [ticket.team_id]
    if event.kind == EventKind.TEAM:
        teams.append(parse_id(event.old))
    return _Change(ticket.pk, ticket.number, event.kind, tuple(teams), ticket.assignee_id)


def _publish(changes: list[_Change]) -> None:
    """After commit: tell the live queue. A ticket hidden from plain agents (a complaint
    about a person of the desk, `selectors.register_hidden`) is told only to leads and
    admins: even its number and what happened are not for the others."""
    if not anyone_may_listen():
        return
    hidden = hidden_among({c.ticket_id for c in changes})
    publish_ticket_events(
        [
            (
                c.number,
                c.kind,
                audience(c.teams, c.assignee_id, restricted=c.ticket_id in hidden),
            )
            for c in changes
        ]
    )


def ticket_created_event(*, ticket: Ticket, by: User | None) -> Event:
    # Stamped with the ticket's own creation time: the SLA clock starts from this event.
    return _event(
        ticket,
        by,
        EventKind.CREATED,
        at=ticket.created_at,
        new=ticket.status,
        data={
            "channel": ticket.channel,
            "priority": Priority(ticket.priority).code,
            "type": ticket.type,
            "requester": ticket.requester_id,
        },
    )


def ticket_status_changed_event(
    *, ticket: Ticket, by: User | None, previous: str, at: datetime | None = None
) -> Event:
    """`at`: the moment of the change the caller recomputes the SLA clock for (the clock
    reads status events up to that moment, so the event must not be later)."""
    return _event(ticket, by, EventKind.STATUS, old=previous, new=ticket.status, at=at)


def ticket_priority_changed_event(*, ticket: Ticket, by: User | None, previous: int) -> Event:
    return _event(
        ticket,
        by,
        EventKind.PRIORITY,
        old=Priority(previous).code,
        new=Priority(ticket.priority).code,
    )


def ticket_type_changed_event(*, ticket: Ticket, by: User | None, previous: str) -> Event:
    return _event(ticket, by, EventKind.TYPE, old=previous, new=ticket.type)


def ticket_assigned_event(*, ticket: Ticket, by: User | None, previous: int | None) -> Event:
    return _event(ticket, by, EventKind.ASSIGNED, old=previous, new=ticket.assignee_id)


def ticket_team_changed_event(*, ticket: Ticket, by: User | None, previous: int | None) -> Event:
    return _event(ticket, by, EventKind.TEAM, old=previous, new=ticket.team_id)


def ticket_line_changed_event(
    *,
    ticket: Ticket,
    by: User | None,
    previous: int | str,
    reason: str = "",
    new: int | str | None = None,
    extra: dict[str, Any] | None = None,
) -> Event:
    """A hop between support levels; `new` defaults to the line ("lead" for the lead)."""
    data: dict[str, Any] = {"reason": reason} if reason else {}
    data.update(extra or {})
    level = ticket.line if new is None else new
    return _event(ticket, by, EventKind.LINE, old=previous, new=level, data=data or None)


def ticket_tags_changed_event(
    *, ticket: Ticket, by: User | None, previous: list[str], current: list[str]
) -> Event:
    return _event(
        ticket,
        by,
        EventKind.TAGS,
        old=",".join(previous),
        new=",".join(current),
        data={
            "added": sorted(set(current) - set(previous)),
            "removed": sorted(set(previous) - set(current)),
            # Many or long tags do not fit the summary column: the list is kept whole.
            **({"current": current} if len(",".join(current)) > _SHORT else {}),
        },
    )


def message_added_event(
    *, ticket: Ticket, by: User | None, message: Message, attachments: int, automated: bool = False
) -> Event:
    kind = EventKind.NOTE if message.internal else EventKind.REPLY
    data: dict[str, Any] = {"channel": message.channel, "attachments": attachments}
    if automated:
        # Written by the answer bot: not a first response, not an agent's work.
        data["automated"] = True
    # Stamped with the message's own time, on every path (one by one or in batches).
    return _event(ticket, by, kind, new=message.pk, data=data, at=message.created_at)


def ticket_merged_into_event(*, ticket: Ticket, by: User | None, target: Ticket) -> Event:
    return _event(ticket, by, EventKind.MERGED_INTO, new=target.number)


def ticket_merged_from_event(
    *, ticket: Ticket, by: User | None, source: Ticket, moved_messages: int
) -> Event:
    return _event(
        ticket,
        by,
        EventKind.MERGED_FROM,
        new=source.number,
        data={"moved_messages": moved_messages},
    )


def requester_merged_event(
    *, ticket: Ticket, by: User | None, previous: int, current: int
) -> Event:
    """The ticket's requester was merged into another customer (ids, old → new)."""
    return _event(ticket, by, EventKind.REQUESTER_MERGED, old=previous, new=current)


def problem_linked_event(
    *, ticket: Ticket, by: User | None, previous: int | None, problem: Ticket
) -> Event:
    return _event(ticket, by, EventKind.PROBLEM_LINKED, old=previous, new=problem.number)


def problem_unlinked_event(*, ticket: Ticket, by: User | None, previous: int) -> Event:
    return _event(ticket, by, EventKind.PROBLEM_UNLINKED, old=previous)


def followers_added_event(*, ticket: Ticket, by: User | None, added: list[int]) -> Event:
    return _event(ticket, by, EventKind.FOLLOWERS_ADDED, data={"added": added})


def followers_removed_event(*, ticket: Ticket, by: User | None, removed: list[int]) -> Event:
    return _event(ticket, by, EventKind.FOLLOWERS_REMOVED, data={"removed": removed})


def mail_ignored_event(*, ticket: Ticket, kind: str, raw_message: int, sender: str) -> Event:
    """An auto-reply or bounce about this ticket: recorded, never answered."""
    return _event(
        ticket,
        None,
        EventKind.MAIL_IGNORED,
        new=kind,
        data={"raw_message": raw_message, "sender": sender},
    )


def mail_failed_event(*, ticket: Ticket, outbound: int, recipient: str, error: str) -> Event:
    return _event(
        ticket,
        None,
        EventKind.MAIL_FAILED,
        data={"outbound": outbound, "recipient": recipient, "error": error[:500]},
    )


def delivery_failed_event(
    *, ticket: Ticket, delivery: int, channel: str, address: str, error: str
) -> Event:
    return _event(
        ticket,
        None,
        EventKind.DELIVERY_FAILED,
        new=channel,
        data={"delivery": delivery, "address": address, "error": error[:500]},
    )


def sla_event(*, ticket: Ticket, kind: str, target: str, due_at: str) -> Event:
    return _event(ticket, None, kind, new=target, data={"due_at": due_at})


def time_logged_event(*, ticket: Ticket, by: User, minutes: int, entry_id: int) -> Event:
    return _event(ticket, by, EventKind.TIME_LOGGED, new=minutes, data={"entry": entry_id})


def rated_event(*, ticket: Ticket, by: User, previous: int | None, score: int) -> Event:
    return _event(ticket, by, EventKind.RATED, old=previous, new=score)


def dev_handoff_event(*, ticket: Ticket, by: User | None, url: str) -> Event:
    return _event(ticket, by, EventKind.DEV_HANDOFF, new=url)


def dev_status_event(*, ticket: Ticket, previous: str, status: str, data: dict[str, Any]) -> Event:
    return _event(ticket, None, EventKind.DEV_STATUS, old=previous, new=status, data=data)


def bot_handoff_event(*, ticket: Ticket, by: User | None, reason: str) -> Event:
    """The answer bot gave up: `reason` is "declined" (the customer said no) or "replied"."""
    return _event(ticket, by, EventKind.BOT_HANDOFF, new=reason)


def remote_session_event(
    *, ticket: Ticket, by: User | None, kind: str, tool: str, session: int, minutes: int = 0
) -> Event:
    """A remote session invited, started or ended (`minutes`: an ended one's length)."""
    new: object = minutes if kind == EventKind.REMOTE_ENDED else tool
    return _event(ticket, by, kind, new=new, data={"session": session, "tool": tool})


def ticket_fields_changed_event(
    *, ticket: Ticket, by: User | None, changed: dict[str, list[Any]]
) -> Event:
    """Values of the admin-defined fields changed (crm): {"key": [before, after]}."""
    return _event(
        ticket, by, EventKind.FIELDS_CHANGED, new=", ".join(changed), data={"fields": changed}
    )
