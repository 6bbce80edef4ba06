"""A call event, from any line's format, into the desk.

- The first event of a call (ringing, or whichever comes first) finds the person by
  the number (an identity of kind `phone`, else a new person), and the call's ticket:
  for an incoming call the person's open phone ticket, which the call joins as a
  message, else a new phone ticket in the line's team (`inbox.channels.receive`: routing,
  SLA, search follow); for an outgoing call the person's ticket waiting for a call
  back, else their open phone ticket, else a new one. A ringing incoming call pops the
  caller's card in the agents' workspaces (`cards.py`).
- Answered: the agent (named by e-mail or extension) is noted and, if the ticket has
  no assignee, becomes it.
- Ended: the call's outcome, duration and recording; an answered call's duration is
  logged as the agent's time on the ticket (`tickets.actions.log_time`, so cost and
  the "% with logged time" KPI count it) and closes the ticket's open call-backs; a
  missed incoming call gets a call-back due time, `callback_minutes` of the line in
  business time of the ticket's SLA calendar.

Each event is noted once per line (`CallEvent`) in the transaction that applies it: a
provider's retry changes nothing.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

import orjson
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from opora.accounts.identities import Contact, clean_phone, requester_for
from opora.accounts.models import IdentityKind, User
from opora.core import clock
from opora.core.errors import OporaError
from opora.inbox.channels import Inbound, receive
from opora.sla.config import read_hours
from opora.sla.models import TicketSla
from opora.telephony import cards, errors
from opora.telephony.formats import ANSWERED, ENDED, IGNORED, RINGING, PhoneEvent
from opora.telephony.models import (
    CALL_BACK_OUTCOMES,
    Call,
    CallEvent,
    Direction,
    Outcome,
    PhoneLine,
)
from opora.telephony.selectors import agent_named
from opora.tickets.actions import TicketChanges, create_ticket, log_time, update_ticket
from opora.tickets.models import ACTIVE_STATUSES, Channel, Ticket, TicketStatus

logger = logging.getLogger("opora.telephony")

DUPLICATE = "duplicate"
TEST = "test"
MAX_PAYLOAD = 8000


def _payload(event: PhoneEvent) -> str:
    data = {
        "kind": event.raw_kind,
        "call_id": event.call_id,
        "direction": event.direction,
        "from": event.caller,
        "to": event.called,
        "agent": event.agent,
        "at": event.at.isoformat() if event.at else None,
        "duration": event.duration,
        "outcome": event.outcome,
        "recording_url": event.recording_url,
    }
    return orjson.dumps(data).decode()[:MAX_PAYLOAD]


def _note(line: PhoneLine, event: PhoneEvent, outcome: str, call: Call | None = None) -> None:
    CallEvent.objects.create(
        line=line,
        key=event.key[:200],
        kind=event.raw_kind[:32],
        outcome=outcome,
        call=call,
        payload=_payload(event),
        received_at=clock.now(),
    )


def _note_alone(line: PhoneLine, event: PhoneEvent, outcome: str) -> str:
    try:
        with transaction.atomic():
            _note(line, event, outcome)
    except IntegrityError:
        return DUPLICATE
    return outcome


def take(line: PhoneLine, event: PhoneEvent) -> str:
    """Apply one event; what became of it (its kind, IGNORED, TEST or DUPLICATE)."""
    PhoneLine.objects.filter(pk=line.pk).update(last_event_at=clock.now())
    if event.test:
        logger.info("phone line %s: a test event arrived", line.pk)
        return _note_alone(line, event, TEST)
    if event.kind == IGNORED or not line.active:
        logger.info(
            "phone line %s: event %s ignored%s",
            line.pk,
            event.raw_kind,
            "" if line.active else " (the line is off)",
        )
        return _note_alone(line, event, IGNORED)
    if CallEvent.objects.filter(line=line, key=event.key[:200]).exists():
        return DUPLICATE
    for _attempt in range(2):
        try:
            with transaction.atomic():
                call, ringing = _apply(line, event)
                _note(line, event, event.kind, call)
                _after_commit(call, event.kind, ringing)
            return event.kind
        except IntegrityError:
            # The event noted by a concurrent request, or the call created by one: once
            # more, and the second time either is plain to see.
            if CallEvent.objects.filter(line=line, key=event.key[:200]).exists():
                return DUPLICATE
    raise OporaError(errors.CONFLICT, _("The call changed meanwhile; send the event again."))


def _after_commit(call: Call, kind: str, ringing: bool) -> None:
    pk = call.pk

    def push() -> None:
        fresh = (
            Call.objects.select_related("line", "agent", "ticket", "ticket__requester")
            .filter(pk=pk)
            .first()
        )
        if fresh is None:
            return
        if ringing:
            cards.push_card(fresh)
        elif kind in (ANSWERED, ENDED) and fresh.direction == Direction.IN:
            cards.push_state(fresh, kind)

    transaction.on_commit(push)


def _apply(line: PhoneLine, event: PhoneEvent) -> tuple[Call, bool]:
    """The call with the event applied; True when it is a new incoming call that rings."""
    now = clock.now()
    at = event.at or now
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(line=line, provider_call_id=event.call_id)
        .first()
    )
    new = call is None
    agent = agent_named(line, event.agent)
    if call is None:
        call = _open(line, event, agent, at)
    if agent is not None and call.agent_id is None:
        call.agent = agent
    if event.recording_url:
        call.recording_url = event.recording_url
    if event.kind == ANSWERED and call.answered_at is None:
        call.answered_at = at
        _assign(call)
    elif event.kind == ENDED and call.ended_at is None:
        _end(line, call, event, at)
    call.updated_at = now
    call.save()
    if call.outcome == Outcome.ANSWERED and event.kind == ENDED:
        _log_conversation(call)
        _callbacks_done(call, by=call.agent)
    elif event.kind == ANSWERED:
        _callbacks_done(call, by=call.agent)
    ringing = new and event.kind == RINGING and call.direction == Direction.IN
    return call, ringing


def _contact(number: str, line: PhoneLine, call_id: str) -> Contact:
    phone = clean_phone(number)
    if len(phone) < 4:
        # A hidden number: a person of this call alone, never someone else's account.
        value = f"anonymous:{line.pk}:{call_id}"[:255]
        return Contact(kind=IdentityKind.PHONE, value=value, name=_("Unknown caller"))
    return Contact(kind=IdentityKind.PHONE, value=phone, name=phone, phone=phone)


def _open(line: PhoneLine, event: PhoneEvent, agent: User | None, at: datetime) -> Call:
    if event.direction == Direction.IN:
        ticket = _incoming_ticket(line, event, _contact(event.caller, line, event.call_id))
    else:
        person = requester_for(_contact(event.called, line, event.call_id))
        ticket = _outgoing_ticket(line, event, person, agent)
    return Call(
        line=line,
        provider_call_id=event.call_id,
        direction=event.direction,
        caller_number=event.caller,
        called_number=event.called,
        agent=agent,
        started_at=event.started_at or at,
        ticket=ticket,
        created_at=clock.now(),
    )


def _incoming_ticket(line: PhoneLine, event: PhoneEvent, contact: Contact) -> Ticket:
    body = _("Incoming call from %(number)s to %(line)s.") % {
        "number": event.caller or _("a hidden number"),
        "line": event.called or line.name,
    }
    ticket, _message = receive(
        Inbound(
            channel=Channel.PHONE,
            contact=contact,
            body=body,
            external_id=f"phone:{line.pk}:{event.call_id}"[:255],
            team_id=line.team_id,
        )
    )
    return ticket


def _outgoing_ticket(
    line: PhoneLine, event: PhoneEvent, person: User, agent: User | None
) -> Ticket:
    waiting = (
        Call.objects.filter(
            ticket__requester=person,
            ticket__status__in=ACTIVE_STATUSES,
            callback_due_at__isnull=False,
            callback_done_at__isnull=True,
        )
        .select_related("ticket")
        .order_by("callback_due_at", "id")
        .first()
    )
    if waiting is not None and waiting.ticket is not None:
        return waiting.ticket
    open_ticket = (
        Ticket.objects.filter(requester=person, channel=Channel.PHONE, status__in=ACTIVE_STATUSES)
        .order_by("-updated_at", "-id")
        .first()
    )
    if open_ticket is not None:
        return open_ticket
    with override(person.language or None):
        subject = _("Call to %(number)s") % {"number": event.called or person.display_name}
    return create_ticket(
        requester=person,
        subject=subject,
        body=subject,
        by=agent or person,
        channel=Channel.PHONE,
        team=line.team,
        external_id=f"phone:{line.pk}:{event.call_id}"[:255],
    )


def _assign(call: Call) -> None:
    ticket = call.ticket
    agent = call.agent
    if ticket is None or agent is None or ticket.assignee_id is not None:
        return
    if ticket.status == TicketStatus.CLOSED:
        return
    try:
        update_ticket(ticket, TicketChanges(assignee=agent.pk), by=agent)
    except OporaError as exc:
        # The agent may not take this ticket (another team): the call still counts.
        logger.info("phone call %s: agent not assigned: %s", call.pk, exc.code)


def _end(line: PhoneLine, call: Call, event: PhoneEvent, at: datetime) -> None:
    call.ended_at = at
    if event.duration is not None:
        call.duration = event.duration
    elif call.answered_at is not None:
        call.duration = max(0, int((at - call.answered_at).total_seconds()))
    outcome = event.outcome
    if not outcome:
        outcome = Outcome.ANSWERED if call.answered_at is not None else Outcome.MISSED
    call.outcome = outcome
    if (
        call.direction == Direction.IN
        and outcome in CALL_BACK_OUTCOMES
        and call.ticket is not None
        and call.callback_due_at is None
    ):
        call.callback_due_at = callback_due(call.ticket, at, line.callback_minutes)


def callback_due(ticket: Ticket, start: datetime, minutes: int) -> datetime:
    """`minutes` of working time after `start`, in the calendar of the ticket's SLA
    policy (the desk's default calendar, else around the clock)."""
    sla = TicketSla.objects.select_related("policy", "policy__calendar").filter(ticket=ticket)
    found = sla.first()
    hours = read_hours(found.policy if found is not None else None)
    return hours.add(start, minutes * 60)


def _log_conversation(call: Call) -> None:
    """The conversation as the agent's time on the ticket, once per call."""
    if call.time_entry_id is not None or call.agent is None or call.ticket is None:
        return
    if call.duration <= 0:
        return
    minutes = max(1, math.ceil(call.duration / 60))
    note = _("Phone call %(number)s, %(duration)s") % {
        "number": call.number,
        "duration": duration_text(call.duration),
    }
    try:
        entry = log_time(call.ticket, by=call.agent, minutes=minutes, note=note)
    except OporaError as exc:
        logger.info("phone call %s: time not logged: %s", call.pk, exc.code)
        return
    call.time_entry_id = entry.pk
    Call.objects.filter(pk=call.pk).update(time_entry_id=entry.pk)


def _callbacks_done(call: Call, *, by: User | None) -> None:
    """Someone talked to the person: their call-backs on this ticket are done."""
    if call.ticket_id is None:
        return
    Call.objects.filter(
        ticket_id=call.ticket_id, callback_due_at__isnull=False, callback_done_at__isnull=True
    ).exclude(pk=call.pk).update(callback_done_at=clock.now(), callback_done_by=by)


def duration_text(seconds: int) -> str:
    minutes, rest = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"
