# ruff: noqa: RUF001
"""Merging suggestions into ideas (one vote per customer), status notices to every
voter in their language through the outbox, and the webhook to the product team."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from email import message_from_bytes

import pytest
from django.test import Client

from opora.accounts.models import User
from opora.automation.models import Webhook, WebhookDelivery
from opora.core.errors import ValidationFailed
from opora.core.tasks import run_queued_tasks
from opora.ideas import actions
from opora.ideas.models import Idea, IdeaTicket, StatusChange, Vote
from opora.inbox.models import Delivery
from opora.tickets.models import Message, Ticket, TicketStatus
from tests.writes import nothing_written


def test_each_customer_is_one_vote_however_often_they_ask(
    ada: User,
    dana: User,
    dave: User,
    make_idea: Callable[..., Idea],
    suggestion: Callable[..., Ticket],
) -> None:
    idea = make_idea("Dark mode")
    first = suggestion(dana, "Please add a dark mode")
    again = suggestion(dana, "Dark mode, once more")
    other = suggestion(dave, "Dark theme please")
    for ticket in (first, again, other):
        idea = actions.merge_suggestion(idea, ticket, by=ada)
    assert idea.vote_count == 2
    assert sorted(Vote.objects.filter(idea=idea).values_list("customer__name", flat=True)) == [
        "Dana",
        "Dave",
    ]
    assert IdeaTicket.objects.filter(idea=idea).count() == 3
    assert Vote.objects.get(customer=dana).ticket == first  # where she first asked


def test_a_suggestion_merges_into_one_idea_only(
    ada: User, dana: User, make_idea: Callable[..., Idea], suggestion: Callable[..., Ticket]
) -> None:
    dark, other = make_idea("Dark mode"), make_idea("Night shift report")
    ticket = suggestion(dana, "Please add a dark mode")
    actions.merge_suggestion(dark, ticket, by=ada)
    with nothing_written(dark, other), pytest.raises(ValidationFailed) as refused:
        actions.merge_suggestion(other, ticket, by=ada)
    assert refused.value.code == "already_merged"


def test_a_new_idea_from_a_suggestion_counts_its_requester(
    alice: User, dana: User, suggestion: Callable[..., Ticket]
) -> None:
    ticket = suggestion(dana, "Export to Excel", "We copy numbers by hand.")
    idea = actions.create_idea(by=alice, title=ticket.subject, ticket=ticket)
    assert (idea.vote_count, idea.links.get().ticket) == (1, ticket)


def _notices(idea: Idea) -> dict[str, str]:
    """Each voter's notice: the ticket message, or the mail's text."""
    found: dict[str, str] = {}
    for vote in idea.votes.select_related("customer"):
        delivery = Delivery.objects.filter(ticket=vote.ticket).last() if vote.ticket else None
        if delivery is not None:
            assert delivery.ticket_message is not None
            found[vote.customer.name] = delivery.ticket_message.body
            continue
        mail = Delivery.objects.filter(ticket=None, address__contains=vote.customer.email).last()
        assert mail is not None, vote.customer.name
        message = message_from_bytes(bytes(mail.rendered))
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[vote.customer.name] = payload.decode()
    return found


def test_a_status_change_tells_every_voter_in_their_language(
    alice: User,
    dana: User,
    ivan: User,
    charlie: User,
    make_idea: Callable[..., Idea],
    suggestion: Callable[..., Ticket],
) -> None:
    idea = make_idea("Dark mode")
    actions.merge_suggestion(idea, suggestion(dana, "Please add a dark mode"), by=alice)
    actions.merge_suggestion(idea, suggestion(ivan, "Тёмный режим"), by=alice)
    actions.vote(idea, by=charlie)  # on the board: no ticket, so by mail
    run_queued_tasks()
    before = Delivery.objects.count()

    actions.change_status(idea, "done", by=alice)
    run_queued_tasks()

    assert Delivery.objects.count() - before == 3
    texts = _notices(idea)
    assert "“Dark mode”, which you asked for, is out" in texts["Dana"]
    assert "идея «Dark mode», о которой вы просили, уже доступна" in texts["Иван"]
    assert "is out" in texts["Charlie"]
    assert "/ideas/" in texts["Charlie"]
    # Posted on the ticket where each asked, as the desk's notice: the ticket keeps
    # its status and gets no first response from it.
    notice = Message.objects.filter(ticket__requester=dana, automated=True).get()
    assert not notice.internal
    # Run again (a job retried): nobody hears twice.
    from opora.ideas.tasks import notify_voters_task

    change = StatusChange.objects.get(idea=idea)
    assert notify_voters_task.call(change.pk) == 0
    assert Delivery.objects.count() - before == 3


def test_a_voter_whose_ticket_is_closed_is_told_by_mail(
    alice: User, dana: User, make_idea: Callable[..., Idea], suggestion: Callable[..., Ticket]
) -> None:
    from opora.tickets.actions import TicketChanges, update_ticket

    idea = make_idea("Dark mode")
    ticket = suggestion(dana, "Please add a dark mode")
    actions.merge_suggestion(idea, ticket, by=alice)
    update_ticket(ticket, TicketChanges(status=TicketStatus.SOLVED), by=alice)
    update_ticket(ticket, TicketChanges(status=TicketStatus.CLOSED), by=alice)
    run_queued_tasks()
    actions.change_status(idea, "planned", by=alice)
    run_queued_tasks()
    assert not Message.objects.filter(ticket=ticket, automated=True).exists()
    mail = Delivery.objects.filter(ticket=None, address__contains=dana.email).last()
    assert mail is not None and "Dark mode" in mail.subject


def test_the_same_status_again_tells_nobody(alice: User, make_idea: Callable[..., Idea]) -> None:
    idea = make_idea("Dark mode")
    with nothing_written(idea):
        actions.change_status(idea, "new", by=alice)


def test_the_product_team_gets_signed_webhooks_and_a_csv(
    ada: User, alice: User, dana: User, suggestion: Callable[..., Ticket]
) -> None:
    hook = Webhook.objects.create(
        name="Product",
        url="https://product.example/hook",
        events=["idea_created", "idea_status"],
        secret="s" * 32,
    )
    idea = actions.create_idea(by=alice, title="=Dark mode", description="For late shifts.")
    actions.merge_suggestion(idea, suggestion(dana, "Please add a dark mode"), by=alice)
    actions.change_status(idea, "planned", by=alice)
    sent = list(WebhookDelivery.objects.filter(webhook=hook).order_by("id"))
    assert [d.payload["event"] for d in sent] == ["idea.created", "idea.status_changed"]
    assert sent[1].payload["idea"]["status"] == "planned"
    assert sent[1].payload["previous_status"] == "new"

    client = Client()
    client.force_login(alice)
    answer = client.get("/agent/ideas/export.csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0][:4] == ["id", "title", "status", "votes"]
    assert rows[1][1:4] == ["'=Dark mode", "planned", "1"]  # never a formula
