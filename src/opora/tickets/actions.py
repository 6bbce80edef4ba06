"""Every change to a ticket happens here, in one transaction, with an Event for each change.

Callers (API, workspace, portal, channels) authorize with `selectors.access_*`, then
call one action. Actions check the domain rules (who may change what, allowed status
transitions) and raise `OporaError`s that entry points turn into 4xx answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Team, User
from opora.core import clock as wall_clock
from opora.core.dispatch import publish
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.search import service as search
from opora.tickets import clock, errors
from opora.tickets import events as ev
from opora.tickets.attachments import IncomingFile
from opora.tickets.cleaning import MAX_TAGS, clean_tags, parse_priority, parse_type, require_agent
from opora.tickets.domain_events import TicketChanged, TicketReclassified
from opora.tickets.models import Message, Ticket, TicketStatus, TicketType
from opora.tickets.opening import PreparedTicket, create_ticket, create_tickets, prepare_ticket
from opora.tickets.replies import (
    NewMessage,
    add_automated_reply,
    add_message,
    add_messages,
)
from opora.tickets.selectors import access_assignee
from opora.tickets.time_tracking import log_time, start_timer, stop_timer
from opora.tickets.transitions import (
    move_status,
    set_tags,
    tag_names,
)


@dataclass
class TicketChanges:
    """Fields to change in one update; None means "leave as is"."""

    status: str | None = None
    priority: str | int | None = None
    type: str | None = None
    assignee: int | None = None
    unassign: bool = False
    team: int | None = None
    clear_team: bool = False
    line: int | None = None
    tags: list[str] | None = None
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)


@transaction.atomic
def update_ticket(ticket: Ticket, changes: TicketChanges, *, by: User) -> Ticket:
    """Apply several field changes at once: all of them, or (on any error) none."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = wall_clock.now()
    touched: list[str] = []
    previous_status = ticket.status

    if not by.is_agent:
        _check_customer_changes(ticket, changes)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed(
            errors.TICKET_CLOSED, _("A closed ticket cannot be changed."), field="status"
        )

    if changes.team is not None or changes.clear_team:
        touched += _change_team(ticket, changes, by=by)
    if changes.assignee is not None or changes.unassign:
        touched += _change_assignee(ticket, changes, by=by)
    if changes.priority is not None:
        prio = parse_priority(changes.priority)
        if prio is not None and prio != ticket.priority:
            previous = ticket.priority
            ticket.priority = prio
            ev.ticket_priority_changed_event(ticket=ticket, by=by, previous=previous)
            touched.append("priority")
    if changes.type is not None:
        kind = parse_type(changes.type, by=by)
        if kind is not None and kind != ticket.type:
            if ticket.incidents.exists() and kind != TicketType.PROBLEM:
                raise ValidationFailed(
                    errors.HAS_INCIDENTS,
                    _("This problem has linked incidents; unlink them first."),
                    field="type",
                )
            previous_type = ticket.type
            ticket.type = kind
            ev.ticket_type_changed_event(ticket=ticket, by=by, previous=previous_type)
            touched.append("type")
            if kind != TicketType.INCIDENT and ticket.problem_id is not None:
                touched += _unlink(ticket, by=by)
    if changes.line is not None and changes.line != ticket.line:
        if changes.line not in (1, 2, 3):
            raise ValidationFailed(
                errors.INVALID_CHOICE, _("The support line must be 1, 2 or 3."), field="line"
            )
        previous_line = ticket.line
        ticket.line = changes.line
        ev.ticket_line_changed_event(ticket=ticket, by=by, previous=previous_line)
        touched.append("line")
    if changes.tags is not None or changes.add_tags or changes.remove_tags:
        _change_tags(ticket, changes, by=by)
        touched.append("tags")
    if changes.status is not None:
        touched += move_status(ticket, changes.status, by=by, now=now)

    fields = [f for f in dict.fromkeys(touched) if f != "tags"]
    if touched:
        fields += clock.refresh(ticket, now, time_logged=False)
        if "priority" in touched or "type" in touched:
            publish([TicketReclassified(ticket)])
        ticket.updated_at = now
        fields.append("updated_at")
        ticket.save(update_fields=fields)
        publish([TicketChanged(ticket, tuple(dict.fromkeys(touched)), by, previous_status)])
    return ticket


def _check_customer_changes(ticket: Ticket, changes: TicketChanges) -> None:
    """Customers may only mark their request solved, or reopen it."""
    agent_only = {
        "priority": changes.priority is not None,
        "type": changes.type is not None,
        "assignee": changes.assignee is not None or changes.unassign,
        "team": changes.team is not None or changes.clear_team,
        "line": changes.line is not None,
        "tags": changes.tags is not None or bool(changes.add_tags or changes.remove_tags),
    }
    for name, present in agent_only.items():
        if present:
            _require_agent_field(name)
    if changes.status is not None and changes.status not in (
        TicketStatus.SOLVED,
        TicketStatus.OPEN,
    ):
        _require_agent_field("status")
    if changes.status == TicketStatus.OPEN and ticket.status != TicketStatus.SOLVED:
        _require_agent_field("status")


def _require_agent_field(name: str) -> None:
    raise Forbidden(
        errors.AGENTS_ONLY, _("Only agents may change %(field)s.") % {"field": name}, field=name
    )


def _change_team(ticket: Ticket, changes: TicketChanges, *, by: User) -> list[str]:
    team = None
    if changes.team is not None:
        team = Team.objects.filter(pk=changes.team).first()
        if team is None:
            raise ValidationFailed(errors.UNKNOWN_TEAM, _("No such team."), field="team")
    if (team.pk if team else None) == ticket.team_id:
        return []
    previous = ticket.team_id
    ticket.team = team
    ev.ticket_team_changed_event(ticket=ticket, by=by, previous=previous)
    return ["team"]


def _change_assignee(ticket: Ticket, changes: TicketChanges, *, by: User) -> list[str]:
    assignee = None
    if changes.assignee is not None:
        try:
            assignee = access_assignee(changes.assignee)
        except NotFound:
            raise ValidationFailed(
                errors.UNKNOWN_ASSIGNEE,
                _("The assignee must be an active agent."),
                field="assignee",
            ) from None
        if (
            ticket.team_id is not None
            and not assignee.is_admin
            and not assignee.teams.filter(pk=ticket.team_id).exists()
        ):
            raise ValidationFailed(
                errors.NOT_TEAM_MEMBER,
                _("%(agent)s is not a member of this ticket's team.")
                % {"agent": assignee.display_name},
                field="assignee",
            )
    if (assignee.pk if assignee else None) == ticket.assignee_id:
        return []
    previous = ticket.assignee_id
    ticket.assignee = assignee
    ev.ticket_assigned_event(ticket=ticket, by=by, previous=previous)
    return ["assignee"]


def _change_tags(ticket: Ticket, changes: TicketChanges, *, by: User) -> None:
    previous = tag_names(ticket)
    current = clean_tags(changes.tags) if changes.tags is not None else list(previous)
    for tag in clean_tags(changes.add_tags):
        if tag not in current:
            current.append(tag)
    removed = set(clean_tags(changes.remove_tags))
    current = sorted(t for t in current if t not in removed)
    if len(current) > MAX_TAGS:
        raise ValidationFailed(errors.TOO_MANY, _("Too many tags."), field="tags")
    if current == previous:
        return
    set_tags(ticket, current)
    ev.ticket_tags_changed_event(ticket=ticket, by=by, previous=previous, current=current)


@transaction.atomic
def add_followers(ticket: Ticket, users: Sequence[User], *, by: User | None) -> list[int]:
    """Add people who get copies of the conversation (e.g. the Cc of an e-mail)."""
    current = set(ticket.followers.values_list("pk", flat=True))
    added = sorted({u.pk for u in users} - current - {ticket.requester_id})
    if added:
        ticket.followers.add(*added)
        ev.followers_added_event(ticket=ticket, by=by, added=added)
    return added


@transaction.atomic
def remove_followers(ticket: Ticket, users: Sequence[User], *, by: User) -> list[int]:
    """Stop sending copies of the conversation to these people (agents decide)."""
    require_agent(by, "followers")
    current = set(ticket.followers.values_list("pk", flat=True))
    removed = sorted({u.pk for u in users} & current)
    if removed:
        ticket.followers.remove(*removed)
        ev.followers_removed_event(ticket=ticket, by=by, removed=removed)
    return removed


def _lock_pair(a: Ticket, b: Ticket) -> tuple[Ticket, Ticket]:
    # Lock in id order so two opposite merges cannot deadlock.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update().filter(pk__in=[a.pk, b.pk]).order_by("pk")
    }
    return locked[a.pk], locked[b.pk]


@transaction.atomic
def merge_tickets(source: Ticket, target: Ticket, *, by: User) -> Ticket:
    """Merge a duplicate into another ticket: its messages move, it closes with a link."""
    require_agent(by, "merge")
    if source.pk == target.pk:
        raise ValidationFailed(
            errors.MERGE_SELF, _("A ticket cannot be merged into itself."), field="into"
        )
    source, target = _lock_pair(source, target)
    if source.status == TicketStatus.CLOSED:
        raise ValidationFailed(
            errors.TICKET_CLOSED, _("A closed ticket cannot be merged."), field="number"
        )
    if target.status == TicketStatus.CLOSED:
        raise ValidationFailed(
            errors.TICKET_CLOSED, _("Cannot merge into a closed ticket."), field="into"
        )
    now = wall_clock.now()
    moved = Message.objects.filter(ticket=source).update(ticket=target)
    search.move_ticket_documents(source.pk, target.pk)
    followers = set(source.followers.values_list("pk", flat=True))
    if source.requester_id != target.requester_id:
        followers.add(source.requester_id)
    if followers:
        target.followers.add(*followers)
    previous = source.status
    source.status = TicketStatus.CLOSED
    source.closed_at = now
    source.merged_into = target
    source.updated_at = now
    ev.ticket_status_changed_event(ticket=source, by=by, previous=previous, at=now)
    source_fields = ["status", "closed_at", "merged_into", "updated_at"]
    source.save(update_fields=source_fields + clock.refresh(source, now))
    ev.ticket_merged_into_event(ticket=source, by=by, target=target)
    ev.ticket_merged_from_event(ticket=target, by=by, source=source, moved_messages=moved)
    target.updated_at = now
    # The target's clock counts the replies (and the latest message) it now holds.
    target.save(update_fields=["updated_at", *clock.refresh(target, now, time_logged=False)])
    return target


@transaction.atomic
def link_problem(incident: Ticket, problem: Ticket, *, by: User) -> Ticket:
    """Link an incident to the problem behind it; the ticket becomes an incident."""
    require_agent(by, "problem")
    if incident.pk == problem.pk:
        raise ValidationFailed(
            errors.NOT_A_PROBLEM, _("A ticket cannot be its own problem."), field="problem"
        )
    incident, problem = _lock_pair(incident, problem)
    if problem.type != TicketType.PROBLEM:
        raise ValidationFailed(
            errors.NOT_A_PROBLEM,
            _("Ticket #%(number)s is not a problem.") % {"number": problem.number},
            field="problem",
        )
    if incident.type == TicketType.PROBLEM:
        raise ValidationFailed(
            errors.NOT_AN_INCIDENT,
            _("A problem cannot be linked to another problem."),
            field="number",
        )
    if incident.status == TicketStatus.CLOSED:
        raise ValidationFailed(
            errors.TICKET_CLOSED, _("A closed ticket cannot be changed."), field="number"
        )
    if incident.problem_id == problem.pk:
        return incident
    fields = ["problem", "updated_at"]
    if incident.type != TicketType.INCIDENT:
        previous_type = incident.type
        incident.type = TicketType.INCIDENT
        ev.ticket_type_changed_event(ticket=incident, by=by, previous=previous_type)
        fields.append("type")
    previous = incident.problem.number if incident.problem else None
    incident.problem = problem
    incident.updated_at = wall_clock.now()
    incident.save(update_fields=fields)
    ev.problem_linked_event(ticket=incident, by=by, previous=previous, problem=problem)
    return incident


def _unlink(ticket: Ticket, *, by: User) -> list[str]:
    problem = ticket.problem
    if problem is None:
        return []
    ticket.problem = None
    ev.problem_unlinked_event(ticket=ticket, by=by, previous=problem.number)
    return ["problem"]


@transaction.atomic
def unlink_problem(incident: Ticket, *, by: User) -> Ticket:
    require_agent(by, "problem")
    incident = Ticket.objects.select_for_update().get(pk=incident.pk)
    fields = _unlink(incident, by=by)
    if fields:
        incident.updated_at = wall_clock.now()
        incident.save(update_fields=[*fields, "updated_at"])
    return incident


__all__: list[str] = [
    "IncomingFile",
    "NewMessage",
    "PreparedTicket",
    "TicketChanges",
    "add_automated_reply",
    "add_followers",
    "add_message",
    "add_messages",
    "create_ticket",
    "create_tickets",
    "link_problem",
    "log_time",
    "merge_tickets",
    "move_status",
    "prepare_ticket",
    "remove_followers",
    "start_timer",
    "stop_timer",
    "unlink_problem",
    "update_ticket",
]
