"""Every change to a ticket happens here, in one transaction, with an Event for each change.

Callers (API, workspace, portal, channels) authorize with `selectors.access_*`, then
call one action. Actions check the domain rules (who may change what, allowed status
transitions) and raise `OporaError`s that entry points turn into 4xx answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import Team, User
from opora.core.bulk import update_rows
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.core.html import sanitize_html, text_to_html
from opora.search import service as search
from opora.tickets import errors, reactions
from opora.tickets import events as ev
from opora.tickets.attachments import IncomingFile, check_attachments, store_attachment
from opora.tickets.cleaning import (
    MAX_TAGS,
    clean_body,
    clean_subject,
    clean_tags,
    parse_priority,
    parse_type,
    require_agent,
)
from opora.tickets.models import (
    ALLOWED_TRANSITIONS,
    Channel,
    Message,
    Priority,
    Tag,
    Ticket,
    TicketStatus,
    TicketType,
)
from opora.tickets.selectors import access_assignee
from opora.tickets.time_tracking import log_time, start_timer, stop_timer


def set_tags(ticket: Ticket, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    ticket.tags.set([existing[n] for n in names])


def _tag_names(ticket: Ticket) -> list[str]:
    return list(ticket.tags.order_by("name").values_list("name", flat=True))


@dataclass
class PreparedTicket:
    """A checked new ticket, not yet written: the ticket row (without a number) and
    what its first message needs."""

    ticket: Ticket
    tag_names: list[str]
    author: User
    by: User
    body: str
    body_html: str
    external_id: str
    attachments: Sequence[IncomingFile]


def prepare_ticket(
    *,
    requester: User,
    subject: str,
    body: str,
    by: User,
    channel: str = Channel.API,
    priority: str | int | None = None,
    type: str | None = None,
    tags: Sequence[str] = (),
    team: Team | None = None,
    language: str | None = None,
    body_html: str = "",
    external_id: str = "",
    attachments: Sequence[IncomingFile] = (),
) -> PreparedTicket:
    """Check a new ticket (raising `OporaError`s) and shape it; nothing is written."""
    if not by.is_agent and by.pk != requester.pk:
        raise Forbidden(
            errors.AGENTS_ONLY,
            _("Only agents may open tickets for someone else."),
            field="requester",
        )
    if team is not None:
        require_agent(by, "team")
    if tags:
        require_agent(by, "tags")
    subject = clean_subject(subject)
    body = clean_body(body)
    prio = parse_priority(priority) or Priority.NORMAL
    kind = parse_type(type, by=by) or TicketType.QUESTION
    tag_names = clean_tags(tags)
    if channel not in Channel.values:
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown channel."), field="channel")
    check_attachments(list(attachments))

    now = timezone.now()
    ticket = Ticket(
        subject=subject,
        requester=requester,
        organization=requester.organization,
        team=team,
        status=TicketStatus.NEW,
        priority=prio,
        type=kind,
        channel=channel,
        language=language or requester.language,
        created_at=now,
        updated_at=now,
    )
    return PreparedTicket(
        ticket=ticket,
        tag_names=tag_names,
        author=requester if by.is_agent and channel != Channel.PHONE else by,
        by=by,
        body=body,
        body_html=body_html,
        external_id=external_id,
        attachments=attachments,
    )


@transaction.atomic
def create_ticket(
    *,
    requester: User,
    subject: str,
    body: str,
    by: User,
    channel: str = Channel.API,
    priority: str | int | None = None,
    type: str | None = None,
    tags: Sequence[str] = (),
    team: Team | None = None,
    language: str | None = None,
    body_html: str = "",
    external_id: str = "",
    attachments: Sequence[IncomingFile] = (),
) -> Ticket:
    """Open a ticket with its first message, for the requester (by them or an agent)."""
    new = prepare_ticket(
        requester=requester,
        subject=subject,
        body=body,
        by=by,
        channel=channel,
        priority=priority,
        type=type,
        tags=tags,
        team=team,
        language=language,
        body_html=body_html,
        external_id=external_id,
        attachments=attachments,
    )
    # The same writes as a batch of one: one statement per table (ticket, message,
    # events, search documents, SLA row), the SLA fields set before the insert.
    from opora.tickets.bulk import create_tickets  # (it builds on this module)

    [(ticket, _first)] = create_tickets([new], savepoint=False)
    return ticket


def message_row(
    ticket: Ticket,
    *,
    author: User | None,
    body: str,
    body_html: str,
    internal: bool,
    channel: str,
    external_id: str,
    at: Any,
) -> Message:
    """A message as it will be stored (HTML sanitized, or made from the text); unsaved."""
    return Message(
        ticket=ticket,
        author=author,
        internal=internal,
        channel=channel,
        body=body,
        body_html=sanitize_html(body_html) if body_html else text_to_html(body),
        external_id=external_id[:998],
        created_at=at,
    )


def _write_message(
    ticket: Ticket,
    *,
    author: User | None,
    body: str,
    body_html: str,
    internal: bool,
    channel: str,
    external_id: str,
    attachments: Sequence[IncomingFile],
    by: User | None,
    at: Any,
    automated: bool = False,
) -> Message:
    message = message_row(
        ticket,
        author=author,
        body=body,
        body_html=body_html,
        internal=internal,
        channel=channel,
        external_id=external_id,
        at=at,
    )
    message.save(force_insert=True)
    for incoming in attachments:
        store_attachment(message, incoming)
    search.index_messages([message])
    ev.message_added_event(
        ticket=ticket, by=by, message=message, attachments=len(attachments), automated=automated
    )
    return message


def move_status(ticket: Ticket, new: str, *, by: User | None, now: Any) -> list[str]:
    """Set a new status on a locked ticket; returns the fields to save."""
    previous = ticket.status
    if new == previous:
        return []
    if new not in TicketStatus.values:
        raise ValidationFailed(
            errors.INVALID_CHOICE, _("Unknown status “%(value)s”.") % {"value": new}, field="status"
        )
    if new not in ALLOWED_TRANSITIONS[previous]:
        raise ValidationFailed(
            errors.INVALID_TRANSITION,
            _("A ticket cannot go from “%(old)s” to “%(new)s”.") % {"old": previous, "new": new},
            field="status",
        )
    ticket.status = new
    fields = ["status"]
    if new == TicketStatus.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
        reactions.after_solved(ticket)
    elif new == TicketStatus.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif previous == TicketStatus.SOLVED:  # reopened
        ticket.solved_at = None
        fields.append("solved_at")
    ev.ticket_status_changed_event(ticket=ticket, by=by, previous=previous, at=now)
    return fields


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
    now = timezone.now()
    touched: list[str] = []

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
        fields += reactions.refresh_sla(ticket, now, time_logged=False)
        if "priority" in touched or "type" in touched:
            reactions.apply_rules_later(ticket)
        ticket.updated_at = now
        fields.append("updated_at")
        ticket.save(update_fields=fields)
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
    previous = _tag_names(ticket)
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
def add_message(
    ticket: Ticket,
    *,
    by: User,
    body: str,
    internal: bool = False,
    channel: str = Channel.API,
    body_html: str = "",
    external_id: str = "",
    attachments: Sequence[IncomingFile] = (),
) -> Message:
    """Add a public reply or an internal note; replies move the status as a desk expects."""
    if internal and not by.is_agent:
        raise Forbidden(
            errors.AGENTS_ONLY, _("Only agents may write internal notes."), field="internal"
        )
    body = clean_body(body)
    check_attachments(list(attachments))
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed(
            errors.TICKET_CLOSED,
            _("This ticket is closed; please open a new request."),
            field="ticket",
        )
    now = timezone.now()
    message = _write_message(
        ticket,
        author=by,
        body=body,
        body_html=body_html,
        internal=internal,
        channel=channel,
        external_id=external_id,
        attachments=attachments,
        by=by,
        at=now,
    )
    fields = ["updated_at"]
    if not internal and by.pk == ticket.requester_id:
        from opora.automation.bot import customer_replied

        # A reply to the answer bot's suggestions: "yes" solves the ticket (and must
        # not reopen it below); anything else hands it to a person at once.
        outcome = customer_replied(ticket, message)
        if outcome == "solved":
            return message
        if outcome == "handed_off":
            # The hand-off changed status, line and assignee: continue from that row.
            ticket.refresh_from_db()
    if not internal:
        if by.is_agent and by.pk != ticket.requester_id:
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                fields.append("first_response_at")
            if ticket.status == TicketStatus.NEW:
                fields += move_status(ticket, TicketStatus.OPEN, by=by, now=now)
        elif ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
            # The customer wrote back: the ball is in the desk's court again.
            fields += move_status(ticket, TicketStatus.OPEN, by=by, now=now)
    if not internal:
        fields += reactions.refresh_sla(ticket, now, time_logged=False)
    ticket.updated_at = now
    update_rows(Ticket, [ticket], list(dict.fromkeys(fields)))
    if not internal and by.is_agent and by.pk != ticket.requester_id:
        reactions.schedule_channel_reply(ticket, message)
    return message


@transaction.atomic
def route_new_ticket(ticket: Ticket, *, team: Team | None, tags: Sequence[str] = ()) -> Ticket:
    """Routing by a channel (not a person) of a ticket it just opened: team and tags.

    Precondition: the ticket was created in the current transaction, so no one else
    can hold it and it needs no lock.
    """
    fields = route_team(ticket, team)
    names = clean_tags(tags)
    if names:
        previous_tags = _tag_names(ticket)
        current = sorted(set(previous_tags) | set(names))
        if current != previous_tags:
            set_tags(ticket, current)
            ev.ticket_tags_changed_event(
                ticket=ticket, by=None, previous=previous_tags, current=current
            )
    if fields:
        ticket.save(update_fields=fields)
    return ticket


def route_team(ticket: Ticket, team: Team | None) -> list[str]:
    """Put a just-opened ticket in the channel's team, with its event; fields to save."""
    if team is None or team.pk == ticket.team_id:
        return []
    previous = ticket.team_id
    ticket.team = team
    ev.ticket_team_changed_event(ticket=ticket, by=None, previous=previous)
    return ["team"]


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
def add_automated_reply(ticket: Ticket, *, by: User, body: str) -> Message:
    """A public reply written by the answer bot: no first response, no status change."""
    body = clean_body(body)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed(
            errors.TICKET_CLOSED, _("A closed ticket cannot be changed."), field="ticket"
        )
    now = timezone.now()
    message = _write_message(
        ticket,
        author=by,
        body=body,
        body_html="",
        internal=False,
        channel=ticket.channel,
        external_id="",
        attachments=(),
        by=by,
        at=now,
        automated=True,
    )
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    return message


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
    now = timezone.now()
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
    source.save(update_fields=source_fields + reactions.refresh_sla(source, now))
    ev.ticket_merged_into_event(ticket=source, by=by, target=target)
    ev.ticket_merged_from_event(ticket=target, by=by, source=source, moved_messages=moved)
    target.updated_at = now
    target.save(update_fields=["updated_at"])
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
    incident.updated_at = timezone.now()
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
        incident.updated_at = timezone.now()
        incident.save(update_fields=[*fields, "updated_at"])
    return incident


# --- support levels and time tracking (used by the sla app) -------------------------


@transaction.atomic
def set_support_level(
    ticket: Ticket,
    *,
    level: str,
    by: User | None,
    reason: str,
    assignee: User | None = None,
    extra: dict[str, Any] | None = None,
) -> Ticket:
    """Move a ticket to line "1", "2", "3" or to the team "lead", with a reason.

    The lead level keeps the ticket's line and hands it to the lead (`assignee`).
    """
    from opora.sla.clock import move_level
    from opora.sla.models import TicketSla

    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    reactions.refresh_sla(ticket, now)
    sla = TicketSla.objects.get(ticket=ticket)
    previous = sla.level
    if level == previous:
        return ticket
    fields = ["updated_at"]
    if level != "lead":
        ticket.line = int(level)
        fields.append("line")
    if assignee is not None and assignee.pk != ticket.assignee_id:
        previous_assignee = ticket.assignee_id
        ticket.assignee = assignee
        ev.ticket_assigned_event(ticket=ticket, by=by, previous=previous_assignee)
        fields.append("assignee")
    move_level(sla, level, now)
    sla.save(
        update_fields=[
            "level",
            "level_since",
            "escalations",
            "line1_seconds",
            "line2_seconds",
            "line3_seconds",
            "lead_seconds",
        ]
    )
    ev.ticket_line_changed_event(
        ticket=ticket, by=by, previous=previous, new=level, reason=reason, extra=extra
    )
    ticket.updated_at = now
    ticket.save(update_fields=fields + reactions.refresh_sla(ticket, now))
    return ticket


__all__: list[str] = [
    "IncomingFile",
    "TicketChanges",
    "add_automated_reply",
    "add_followers",
    "add_message",
    "create_ticket",
    "link_problem",
    "log_time",
    "merge_tickets",
    "route_new_ticket",
    "set_support_level",
    "start_timer",
    "stop_timer",
    "unlink_problem",
    "update_ticket",
]
