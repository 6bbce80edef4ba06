"""A complaint about a person of the desk is hidden from plain agents, in the live queue
too: its changes (even its number and what happened) reach only team leads and admins."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from opora.accounts.actions import issue_api_token
from opora.accounts.models import Team, User
from opora.complaints import actions as complaints
from opora.tickets.actions import TicketChanges, create_ticket, update_ticket
from opora.tickets.models import Ticket
from tests.core.test_realtime import Listener


async def _heard(listener: Listener) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    while True:
        try:
            message = await listener.app.receive_output(timeout=0.5)
        except TimeoutError:  # nothing more (the communicator stops the app)
            return found
        event = json.loads(message["text"])
        found.append((event["number"], event["kind"]))


@pytest.mark.django_db(transaction=True)
def test_only_leads_and_admins_hear_of_a_complaint_about_an_agent(
    alice: User, bob: User, lena: User, ada: User, dana: User, support: Team
) -> None:
    # given a complaint in the support team, about Bob, and an ordinary request
    complaint = create_ticket(
        requester=dana, subject="Rude", body="Bob was rude.", by=ada, team=support,
        type="complaint",
    )  # fmt: skip
    complaints.set_about_agent(complaint, bob.pk, by=lena)
    question = create_ticket(
        requester=dana, subject="Printer", body="Offline.", by=ada, team=support
    )
    tokens = {u.email: issue_api_token(u)[1] for u in (alice, lena, ada)}

    async def scenario() -> dict[str, list[tuple[int, str]]]:
        listeners = {email: Listener(token) for email, token in tokens.items()}
        for listener in listeners.values():
            assert await listener.connect()
        # when the lead changes both, and hands the complaint to an agent of the team
        for ticket in (complaint, question):
            await sync_to_async(update_ticket)(
                ticket, by=lena, changes=TicketChanges(priority="high")
            )
        fresh = await sync_to_async(Ticket.objects.get)(pk=complaint.pk)
        await sync_to_async(update_ticket)(fresh, by=lena, changes=TicketChanges(assignee=alice.pk))
        return {email: await _heard(listener) for email, listener in listeners.items()}

    heard = asyncio.run(scenario())
    # then the plain agent hears of the ordinary request only, even as the assignee
    assert heard[alice.email] == [(question.number, "priority_changed")]
    # and the team's lead and the admin hear of both
    for email in (lena.email, ada.email):
        assert (complaint.number, "priority_changed") in heard[email]
        assert (complaint.number, "assigned") in heard[email]
        assert (question.number, "priority_changed") in heard[email]
