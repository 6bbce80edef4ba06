from __future__ import annotations

from typing import Any

import pytest
from django.core import mail as djmail

from opora.core.tasks import run_queued_tasks
from opora.inbox.actions import set_email_notifications
from opora.inbox.models import Delivery
from opora.tickets import actions
from opora.tickets.models import Channel, Event

pytestmark = pytest.mark.django_db


def test_a_channel_routes_a_ticket_it_opened_with_events(dana, support):
    # given a ticket a customer opens herself (she may not choose a team or tags)
    prepared = actions.prepare_ticket(requester=dana, subject="Hi", body="Hello", by=dana)
    # when the channel that opens it routes it
    prepared.route_to, prepared.channel_tags = support, ["needs-review"]
    [(ticket, _first)] = actions.create_tickets([prepared])
    # then team and tags are set, each change recorded without a person as actor
    ticket.refresh_from_db()
    assert ticket.team == support
    assert list(ticket.tags.values_list("name", flat=True)) == ["needs-review"]
    kinds = set(Event.objects.filter(ticket=ticket, actor=None).values_list("kind", flat=True))
    assert kinds == {"team_changed", "tags_changed"}


def test_followers_are_added_once_with_an_event(dana, dave, charlie, alice):
    ticket = actions.create_ticket(requester=dana, subject="Hi", body="Hello", by=dana)
    assert actions.add_followers(ticket, [dave, charlie, dana], by=alice) == sorted(
        [dave.pk, charlie.pk]
    )
    # the requester is not her own follower; adding again changes nothing
    assert actions.add_followers(ticket, [dave], by=alice) == []
    assert set(ticket.followers.all()) == {dave, charlie}
    assert Event.objects.filter(ticket=ticket, kind="followers_added").count() == 1


def _mailed_to(address: str) -> list[Any]:
    return [m for m in djmail.outbox if address in m.to]


def test_an_agent_reply_on_a_web_ticket_is_mailed_with_a_link_back(
    dana, alice, django_capture_on_commit_callbacks
):
    # given Dana's request made in the portal, acknowledged by mail
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.create_ticket(
            requester=dana, subject="Hi", body="Hello", by=dana, channel=Channel.WEB
        )
    run_queued_tasks()
    assert len(_mailed_to(dana.email)) == 1
    djmail.outbox.clear()
    # when Alice answers it
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="Here is your answer")
    run_queued_tasks()
    # then Dana gets the answer by mail, with the way back to her request
    [mail] = _mailed_to(dana.email)
    assert "Here is your answer" in str(mail.body)
    assert f"/portal/requests/{ticket.number}" in str(mail.body)
    assert mail.extra_headers["Reply-To"].startswith("support+")
    assert Delivery.objects.get(kind="reply").state == "sent"


def test_a_customer_who_turned_notifications_off_is_not_mailed(
    dana, alice, django_capture_on_commit_callbacks
):
    # given Dana does not want mail about her requests
    set_email_notifications(dana, enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.create_ticket(
            requester=dana, subject="Hi", body="Hello", by=dana, channel=Channel.WEB
        )
        # when Alice answers her request
        actions.add_message(ticket, by=alice, body="Here is your answer")
    run_queued_tasks()
    # then nothing is queued or sent, not even the acknowledgement
    assert not Delivery.objects.exists()
    assert _mailed_to(dana.email) == []


def test_an_internal_note_is_never_mailed(dana, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.create_ticket(
            requester=dana, subject="Hi", body="Hello", by=dana, channel=Channel.WEB
        )
    run_queued_tasks()
    djmail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="Dana is a VIP", internal=True)
    run_queued_tasks()
    assert not Delivery.objects.filter(kind="reply").exists()
    assert djmail.outbox == []
