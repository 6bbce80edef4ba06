"""How tickets follow people: when two customers are merged (accounts'
`CustomersMerged`), the duplicate's tickets, messages and follows move to the kept
person, in the merge's own transaction, with an audit event on every ticket moved; when
an agent is deactivated (`AgentDeactivated`), their open tickets are handed over."""

from __future__ import annotations

from opora.accounts.domain_events import AgentDeactivated, CustomersMerged
from opora.tickets import events as ev
from opora.tickets.models import ACTIVE_STATUSES, Message, Ticket

Follow = Ticket.followers.through


def move_to_kept_person(merges: list[CustomersMerged]) -> None:
    for merge in merges:
        keep, drop = merge.keep, merge.drop
        # Locked in id order, as every ticket writer locks: the requester changes under
        # the same locks a reply or a change would take.
        moved = list(
            Ticket.objects.select_for_update().filter(requester=drop).order_by("pk").only("pk")
        )
        ids = [t.pk for t in moved]
        # updated_at stays: a merge is no news on the tickets, and must not reorder queues.
        Ticket.objects.filter(pk__in=ids).update(requester=keep)
        Message.objects.filter(author=drop).update(author=keep)
        followed = set(Follow.objects.filter(user_id=drop.pk).values_list("ticket_id", flat=True))
        Follow.objects.filter(user_id=drop.pk).delete()
        # A requester does not follow their own tickets; the kept person follows once.
        Follow.objects.filter(user_id=keep.pk, ticket__requester=keep).delete()
        already = set(Follow.objects.filter(user_id=keep.pk).values_list("ticket_id", flat=True))
        own = set(
            Ticket.objects.filter(pk__in=followed, requester=keep).values_list("pk", flat=True)
        )
        Follow.objects.bulk_create(
            [Follow(ticket_id=t, user_id=keep.pk) for t in sorted(followed - already - own)]
        )
        with ev.recorded_together():
            for ticket in Ticket.objects.filter(pk__in=ids).order_by("pk"):
                ev.requester_merged_event(
                    ticket=ticket, by=merge.by, previous=drop.pk, current=keep.pk
                )


def hand_over_open_tickets(departures: list[AgentDeactivated]) -> None:
    """A deactivated agent's open tickets go to the chosen agent, or back to their
    team's unassigned queue: each through `update_ticket`, so events, the clock and
    the reports' rows follow as for any reassignment."""
    from opora.tickets.actions import TicketChanges, update_ticket

    for departure in departures:
        open_tickets = Ticket.objects.filter(
            assignee=departure.agent, status__in=ACTIVE_STATUSES
        ).order_by("pk")
        target = departure.reassign_to
        changes = (
            TicketChanges(assignee=target.pk)
            if target is not None
            else TicketChanges(unassign=True)
        )
        for ticket in open_tickets:
            update_ticket(ticket, changes, by=departure.by)
