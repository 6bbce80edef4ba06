"""The caller's card: pushed to agents' workspaces while a call rings.

An incoming call's card goes to the agent the PBX names, else to the active agents of
the line's team (of the ticket's team, of every agent for a desk without teams), over
the phone socket (`consumers.py`, group `phone.agent.<id>`). Each agent's card is
built for that agent: only an agent who may open the call's ticket gets one, and its
list of the caller's open tickets holds only tickets that agent may open. Later, the
same agents hear that the call was answered (by whom) or ended, so the card updates
or goes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from opora.accounts.models import Role, User
from opora.core.realtime import publish_to_groups
from opora.telephony.models import Call
from opora.tickets.models import ACTIVE_STATUSES, Ticket
from opora.tickets.selectors import visible_tickets

MAX_OPEN_TICKETS = 5


def phone_group(user_id: int) -> str:
    return f"phone.agent.{user_id}"


def recipients(call: Call) -> list[User]:
    if call.agent is not None and call.agent.is_active:
        return [call.agent]
    agents: QuerySet[User] = User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.ADMIN))
    team_id = (call.line.team_id if call.line is not None else None) or (
        call.ticket.team_id if call.ticket is not None else None
    )
    if team_id is not None:
        agents = agents.filter(teams=team_id)
    return list(agents.order_by("id")[:200])


def _ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.get_status_display(),
        "url": reverse("agent:ticket", args=[ticket.number]),
    }


def card_for(call: Call, agent: User) -> dict[str, Any] | None:
    """The card `agent` sees for `call`; None when they may not open its ticket."""
    ticket = call.ticket
    if ticket is None:
        return None
    mine = visible_tickets(agent)
    if not mine.filter(pk=ticket.pk).exists():
        return None
    person = ticket.requester
    others = (
        mine.filter(requester=person, status__in=ACTIVE_STATUSES)
        .exclude(pk=ticket.pk)
        .order_by("-updated_at", "-id")[:MAX_OPEN_TICKETS]
    )
    organization = person.organization
    return {
        "type": "card",
        "call": call.pk,
        "state": "ringing",
        "number": call.number,
        "line": call.line.name if call.line is not None else "",
        "name": person.display_name,
        "organization": organization.name if organization is not None else "",
        "customer_url": reverse("agent:customer", args=[person.pk]) if not person.is_agent else "",
        "ticket": _ticket_row(ticket),
        "open_tickets": [_ticket_row(t) for t in others],
    }


def push_card(call: Call) -> int:
    """Show the ringing call to its agents; how many got a card."""
    messages = []
    for agent in recipients(call):
        card = card_for(call, agent)
        if card is not None:
            messages.append((phone_group(agent.pk), {"type": "phone.card", "card": card}))
    publish_to_groups(messages)
    return len(messages)


def push_state(call: Call, state: str) -> None:
    """Tell the agents who got the card that the call was answered or ended."""
    agent = call.agent
    frame = {
        "type": "state",
        "call": call.pk,
        "state": state,
        "agent": agent.display_name if agent is not None else "",
        "agent_id": agent.pk if agent is not None else None,
    }
    people = {u.pk for u in recipients(_without_agent(call))}
    if agent is not None:
        people.add(agent.pk)
    publish_to_groups([(phone_group(pk), {"type": "phone.card", "card": frame}) for pk in people])


def _without_agent(call: Call) -> Call:
    """The call as it rang, before an agent was named: everyone who got the card."""
    copy = Call(line=call.line, ticket=call.ticket)
    return copy
