"""The demo's ideas board: the played suggestion tickets merged into their ideas (each
requester one vote: the dark-mode suggestions become one idea with their votes, so the
reply that says "I've added your vote" is true), a few more ideas with board votes,
comments and official replies, in every status."""

from __future__ import annotations

import random

from opora.core import clock as wall_clock
from opora.demo import data
from opora.demo.history import Cast
from opora.ideas import actions
from opora.ideas.models import Idea, IdeaStatus, StatusChange
from opora.tickets.models import Ticket, TicketType


def set_up(cast: Cast, seed: int = 7) -> list[Idea]:
    rng = random.Random(seed)  # noqa: S311 - demo figures, not secrets
    ideas = []
    for spec in data.IDEAS:
        idea = actions.create_idea(by=cast.admin, title=spec.title, description=spec.description)
        tickets = Ticket.objects.filter(type=TicketType.SUGGESTION, subject=spec.suggestion)
        for ticket in tickets.order_by("created_at", "id") if spec.suggestion else []:
            actions.merge_suggestion(idea, ticket, by=cast.admin)
        voted = set(idea.votes.values_list("customer_id", flat=True))
        others = [c for c in cast.customers if c.pk not in voted]
        for customer in rng.sample(others, min(spec.board_votes, len(others))):
            actions.vote(idea, by=customer)
        if spec.comment:
            actions.moderate(
                actions.comment(idea, by=rng.choice(cast.customers), body=spec.comment),
                by=cast.admin,
                approve=True,
            )
        if spec.pending:
            actions.comment(idea, by=rng.choice(cast.customers), body=spec.pending)
        if spec.reply:
            actions.official_reply(idea, by=cast.admin, body=spec.reply)
        if spec.status != IdeaStatus.NEW:
            idea = actions.change_status(idea, spec.status, by=cast.admin)
        ideas.append(idea)
    # The statuses stand from before the demo's now: their notices belong to that past
    # and are not sent to the demo's customers when `opora serve` starts its worker.
    StatusChange.objects.filter(notified_at__isnull=True).update(notified_at=wall_clock.now())
    return ideas
