"""The ticket page's remote-session card: invite, mark started and ended; a refusal is
shown in the card with what the agent entered, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from opora.accounts.models import User
from opora.remote.models import RemoteSession, RemoteTool
from opora.tickets.models import Ticket, TimeEntry
from tests.conftest import PASSWORD
from tests.writes import nothing_written


def _agent(user: User) -> Client:
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def test_an_agent_invites_starts_and_ends_from_the_ticket_page(
    alice: User, rustdesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    client = _agent(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "Invite to a remote session" in page
    sent = client.post(
        f"/agent/tickets/{ticket.number}/remote",
        {"tool": rustdesk.pk, "session_id": "555 000", "password": ""},
    )
    assert sent.status_code == 302
    session = RemoteSession.objects.get(ticket=ticket)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "rustdesk://connection/new/555%20000" in page  # the reply in the thread
    assert f'data-remote-session="{session.pk}" data-state="invited"' in page
    assert (
        client.post(f"/agent/tickets/{ticket.number}/remote/{session.pk}/start").status_code == 302
    )
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "data-remote-end" in page
    assert client.post(f"/agent/tickets/{ticket.number}/remote/{session.pk}/end").status_code == 302
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-state="ended"' in page
    assert "1 minute logged" in page
    assert "Remote session ended" in page  # the history
    assert TimeEntry.objects.get(ticket=ticket).minutes == 1


def test_a_refused_invitation_is_shown_in_the_card(
    alice: User, rustdesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    client = _agent(alice)
    with nothing_written(ticket):
        answer = client.post(
            f"/agent/tickets/{ticket.number}/remote", {"tool": rustdesk.pk, "session_id": ""}
        )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert 'data-error-for="session_id"' in page
    assert "needs the session ID" in page


def test_no_card_without_tools_and_no_step_for_a_stranger(
    alice: User, anydesk: RemoteTool, email_ticket: Callable[..., Ticket]
) -> None:
    ticket = email_ticket()
    client = _agent(alice)
    client.post(f"/agent/tickets/{ticket.number}/remote", {"tool": anydesk.pk})
    session = RemoteSession.objects.get()
    unknown = client.post(f"/agent/tickets/{ticket.number}/remote/{session.pk}/pause")
    assert unknown.status_code == 404
    other = email_ticket()
    wrong_ticket = client.post(f"/agent/tickets/{other.number}/remote/{session.pk}/start")
    assert wrong_ticket.status_code == 404
    RemoteTool.objects.filter(pk=anydesk.pk).update(active=False)
    page = client.get(f"/agent/tickets/{other.number}").content.decode()
    assert "data-remote" not in page
