"""Constructors of audit events, one per kind; values are codes, never translated labels."""

from __future__ import annotations

from typing import Any

from opora.accounts.models import User
from opora.tickets.models import Event, EventKind, Message, Priority, Ticket


def _event(
    ticket: Ticket,
    by: User | None,
    kind: str,
    *,
    old: object = "",
    new: object = "",
    data: dict[str, Any] | None = None,
) -> Event:
    return Event.objects.create(
        ticket=ticket,
        actor=by,
        kind=kind,
        old="" if old is None else str(old),
        new="" if new is None else str(new),
        data=data or {},
    )


def ticket_created_event(*, ticket: Ticket, by: User | None) -> Event:
    return _event(
        ticket,
        by,
        EventKind.CREATED,
        new=ticket.status,
        data={
            "channel": ticket.channel,
            "priority": Priority(ticket.priority).code,
            "type": ticket.type,
            "requester": ticket.requester_id,
        },
    )


def ticket_status_changed_event(*, ticket: Ticket, by: User | None, previous: str) -> Event:
    return _event(ticket, by, EventKind.STATUS, old=previous, new=ticket.status)


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
    *, ticket: Ticket, by: User | None, previous: int, reason: str = ""
) -> Event:
    data = {"reason": reason} if reason else None
    return _event(ticket, by, EventKind.LINE, old=previous, new=ticket.line, data=data)


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
    return _event(ticket, by, kind, new=message.pk, data=data)


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


def problem_linked_event(
    *, ticket: Ticket, by: User | None, previous: int | None, problem: Ticket
) -> Event:
    return _event(ticket, by, EventKind.PROBLEM_LINKED, old=previous, new=problem.number)


def problem_unlinked_event(*, ticket: Ticket, by: User | None, previous: int) -> Event:
    return _event(ticket, by, EventKind.PROBLEM_UNLINKED, old=previous)
