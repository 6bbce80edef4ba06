"""Reactions of other domains to ticket changes, called by the ticket actions.

SLA clock updates run inside the action's transaction (they are part of the change);
everything else is queued after commit. Imports are local: those apps build on
tickets, not the other way round.
"""

from __future__ import annotations

from typing import Any

from opora.core.tasks import enqueue_after_commit, enqueue_many_after_commit
from opora.tickets.models import Channel, Message, Ticket, TicketType


def after_solved(ticket: Ticket) -> None:
    """Ask for a rating; a solved problem updates its incidents (both after commit)."""
    from opora.feedback.tasks import send_rating_request
    from opora.sla.tasks import notify_problem_solved

    enqueue_after_commit(send_rating_request, ticket.pk)
    if ticket.type == TicketType.PROBLEM:
        enqueue_after_commit(notify_problem_solved, ticket.pk)


def apply_rules_later(ticket: Ticket) -> None:
    apply_rules_later_many([ticket])


def apply_rules_later_many(tickets: list[Ticket]) -> None:
    from opora.sla.config import configuration
    from opora.sla.tasks import apply_escalation_rules_task

    if not configuration().any_rule:
        return  # no job to run: with no active rule it would find nothing to do
    enqueue_many_after_commit(apply_escalation_rules_task, [(t.pk,) for t in tickets])


def refresh_sla(
    ticket: Ticket, now: Any, *, new: bool = False, time_logged: bool = True
) -> list[str]:
    """Recompute the SLA clock in this transaction; returns the ticket fields it set.

    `new`: the ticket was opened in this transaction; `time_logged=False`: the change
    did not log, move or remove time entries.
    """
    # Imported here: the sla app builds on tickets, not the other way round.
    from opora.sla.clock import apply_sla

    return apply_sla(ticket, now=now, new=new, time_logged=time_logged)


def schedule_answer_bot_many(tickets: list[Ticket]) -> None:
    # Imported here: the bot itself writes through these actions.
    from opora.automation.bot import schedule_answers

    schedule_answers(tickets)


def schedule_channel_reply(ticket: Ticket, message: Message) -> None:
    # The reply goes back on the channel the customer used; today that is e-mail.
    # The e-mail channel queues the mail after commit, or does nothing when no mailbox
    # serves this ticket.
    if ticket.channel == Channel.EMAIL:
        from opora.inbox.email.outbound import schedule_reply

        schedule_reply(ticket, message)
