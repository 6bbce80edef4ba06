"""The answer bot's two endings through the real entry points: the portal and e-mail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opora.accounts.models import User
from opora.agent.queues import queue_counts
from opora.automation.bot import bot_user, configure_bot
from opora.automation.models import BotConversation
from opora.core.tasks import run_queued_tasks
from opora.inbox.email.models import Mailbox
from opora.inbox.email.pipeline import receive_and_process
from opora.inbox.email.tokens import reply_address
from opora.kb import actions as kb
from opora.sla.models import TicketSla
from opora.tickets import actions
from opora.tickets.models import Event, EventKind, Ticket
from tests.inbox.conftest import build_mail


@pytest.fixture
def printer_article(alice):
    return kb.create_article(
        by=alice,
        title="Printer does not print",
        body="Check the print queue and restart the spooler.",
        status="published",
    )


@pytest.fixture
def bot_for_support(support, printer_article):
    return configure_bot(team_id=support.pk, enabled=True, threshold=0.5)


@pytest.fixture
def portal_request(client, django_capture_on_commit_callbacks, dana, support, bot_for_support):
    """Dana's request sent from the portal's form, answered by the bot."""
    configure_bot(team_id=None, enabled=True, threshold=0.5)
    client.force_login(dana)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/portal/new",
            {
                "subject": "My printer does not print",
                "body": "Nothing comes out.",
                "type": "question",
                "priority": "",
            },
        )
    run_queued_tasks()
    ticket = Ticket.objects.get(requester=dana)
    assert ticket.messages.filter(author=bot_user()).exists()
    return ticket


def test_the_portal_asks_the_requester_and_yes_solves_it(client, dana, portal_request):
    # given the request page shows the bot's question
    page = client.get(f"/portal/requests/{portal_request.number}").content.decode()
    assert "Did these articles solve your question?" in page
    # when Dana answers "yes" with the button
    response = client.post(f"/portal/requests/{portal_request.number}/bot", {"solved": "yes"})
    # then the request is solved by the bot and the question is gone
    assert response.status_code == 302
    portal_request.refresh_from_db()
    assert portal_request.status == "solved"
    assert "solved-by-bot" in [t.name for t in portal_request.tags.all()]
    assert BotConversation.objects.get(ticket=portal_request).state == "solved"
    page = client.get(f"/portal/requests/{portal_request.number}").content.decode()
    assert "Did these articles solve your question?" not in page


def test_the_portal_no_button_sends_it_to_the_teams_unassigned_queue(
    client, dana, alice, portal_request
):
    # when Dana answers "no"
    client.post(f"/portal/requests/{portal_request.number}/bot", {"solved": "no"})
    # then a person gets it at once: open, unassigned, 1st line, with a hand-off event
    portal_request.refresh_from_db()
    assert (portal_request.status, portal_request.assignee_id, portal_request.line) == (
        "open",
        None,
        1,
    )
    assert BotConversation.objects.get(ticket=portal_request).state == "handed_off"
    event = Event.objects.get(ticket=portal_request, kind=EventKind.BOT_HANDOFF)
    assert (event.new, event.actor) == ("declined", bot_user())
    # and Alice sees it among the unassigned tickets of her queue
    assert queue_counts(alice)["unassigned"] == 1
    client.force_login(alice)
    queue = client.get("/agent/", {"view": "unassigned"}).content.decode()
    assert "My printer does not print" in queue
    page = client.get(f"/agent/tickets/{portal_request.number}").content.decode()
    assert "Handed from the answer bot to a person" in page


def test_only_the_requester_gets_the_question(client, dave, portal_request):
    client.force_login(dave)
    page = client.get(f"/portal/requests/{portal_request.number}").content.decode()
    assert "Did these articles solve your question?" not in page
    response = client.post(f"/portal/requests/{portal_request.number}/bot", {"solved": "yes"})
    assert response.status_code == 403
    portal_request.refresh_from_db()
    assert portal_request.status == "new"


@pytest.fixture
def mailed(django_capture_on_commit_callbacks, dana, support, bot_for_support):
    """Dana's request sent by e-mail to Support's mailbox, answered by the bot."""
    mailbox = Mailbox.objects.create(address="support@desk.test", team=support, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        receive_and_process(
            build_mail(subject="Printer does not print", body="Nothing comes out."),
            mailbox=mailbox,
            source="file",
        )
    run_queued_tasks()
    ticket = Ticket.objects.get(requester=dana)
    assert ticket.channel == "email"
    assert ticket.messages.filter(author=bot_user()).exists()
    return mailbox, ticket


@pytest.fixture
def reply_by_mail(
    django_capture_on_commit_callbacks: Any,
) -> Callable[[Mailbox, Ticket, str], None]:
    """Dana answers by e-mail; what reacts after commit (the bot) runs too."""

    def reply(mailbox: Mailbox, ticket: Ticket, body: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            receive_and_process(
                build_mail(
                    to=reply_address(mailbox.address, ticket.number), subject="Re", body=body
                ),
                mailbox=mailbox,
                source="file",
            )

    return reply


def test_yes_by_e_mail_solves_the_request(reply_by_mail, mailed):
    mailbox, ticket = mailed
    reply_by_mail(mailbox, ticket, "Yes, that helped, thanks!")
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert BotConversation.objects.get(ticket=ticket).state == "solved"


def test_any_e_mail_reply_hands_off_and_keeps_the_assignee(
    reply_by_mail, mailed, bob: User, lena: User
):
    # given Bob (2nd line) already took the ticket while the bot waited
    mailbox, ticket = mailed
    actions.update_ticket(ticket, actions.TicketChanges(assignee=bob.pk, line=2), by=lena)
    # when Dana writes back something else
    reply_by_mail(mailbox, ticket, "The light blinks red and the paper is stuck.")
    # then it is open and stays Bob's, on his line, with the hand-off recorded
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id, ticket.line) == ("open", bob.pk, 2)
    assert Event.objects.get(ticket=ticket, kind=EventKind.BOT_HANDOFF).new == "replied"
    assert BotConversation.objects.get(ticket=ticket).state == "handed_off"


def test_a_hand_off_brings_an_unassigned_ticket_back_to_the_first_line(
    reply_by_mail, mailed, alice: User, otto: User, lena: User
):
    mailbox, ticket = mailed
    actions.update_ticket(ticket, actions.TicketChanges(line=2), by=lena)
    reply_by_mail(mailbox, ticket, "No")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id, ticket.line) == ("open", None, 1)
    # Support's agents count it among their unassigned tickets; Billing's do not
    assert queue_counts(alice)["unassigned"] == 1
    assert queue_counts(otto)["unassigned"] == 0


def test_the_sla_clock_follows_the_hand_off(reply_by_mail, mailed, lena: User):
    # given the ticket went to the 2nd line while the bot waited
    mailbox, ticket = mailed
    actions.update_ticket(ticket, actions.TicketChanges(line=2), by=lena)
    # when Dana's reply hands it back to a person
    reply_by_mail(mailbox, ticket, "No, the paper is still stuck.")
    # then the clock row describes the ticket as it is now: back on the 1st line,
    # running
    ticket.refresh_from_db()
    clock = TicketSla.objects.get(ticket=ticket)
    assert (ticket.status, ticket.line) == ("open", 1)
    assert clock.level == "1"
    assert clock.paused is False
