"""Notices reach their recipients in their language, with links that open for them."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import mail

from opora.accounts.models import User
from opora.feedback.tasks import send_rating_request
from opora.sla.actions import escalate_ticket
from opora.sla.tasks import check_sla
from opora.tickets import actions
from opora.tickets.actions import TicketChanges
from tests.sla.conftest import msk

LINK = re.compile(r"https?://\S+")


def _opens_for(client, user: User, message) -> list[str]:
    """Every link of the mail, fetched by its recipient, signed in."""
    client.force_login(user)
    links = LINK.findall(message.body)
    assert links
    for link in links:
        path = link.split("://", 1)[1].split("/", 1)[1]
        answer = client.get("/" + path)
        assert answer.status_code == 200, (link, answer.status_code)
    return links


def _to(who: User) -> list[Any]:
    return [m for m in mail.outbox if m.to == [who.email]]


def test_sla_notices_are_in_each_recipients_language_and_open_the_ticket(
    client, policy, make_ticket, dana, alice, lena, clock
):
    # given a Russian-speaking team lead and an English-speaking assignee
    User.objects.filter(pk=lena.pk).update(language="ru")
    lena.refresh_from_db()
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, TicketChanges(assignee=alice.pk), by=alice)
    # when the first response falls due unanswered
    clock.move_to(msk(2026, 3, 2, 13, 1))
    check_sla.call()
    # then the lead's notice is in Russian, the assignee's in English
    [to_lena] = _to(lena)[-1:]
    [to_alice] = _to(alice)[-1:]
    assert "нарушен" in to_lena.subject and "Решение до" in to_lena.body
    assert "breached" in to_alice.subject and "Resolution due" in to_alice.body
    # and the link opens the agent's ticket page for each of them
    assert _opens_for(client, lena, to_lena) == [
        f"{settings.BASE_URL}/agent/tickets/{ticket.number}"
    ]
    _opens_for(client, alice, to_alice)


def test_an_escalation_to_the_lead_tells_the_lead_in_russian(
    client, policy, make_ticket, dana, alice, lena, clock, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=lena.pk).update(language="ru")
    lena.refresh_from_db()
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalate_ticket(ticket, to="lead", reason="Angry customer", by=alice)
    [notice] = _to(lena)
    assert "руководителю группы" in notice.body and "Angry customer" in notice.body
    _opens_for(client, lena, notice)
    assert not _to(alice)  # who escalated it knows


def test_the_rating_request_opens_for_the_customer(client, policy, make_ticket, dana, alice, clock):
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana, language="ru")
    actions.add_message(ticket, by=alice, body="Done.", status="solved")
    assert send_rating_request.call(ticket.pk)
    [request] = _to(dana)
    assert "Спасибо" in request.body
    _opens_for(client, dana, request)
