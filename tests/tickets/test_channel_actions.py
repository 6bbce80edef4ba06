from __future__ import annotations

import pytest

from opora.tickets import actions
from opora.tickets.models import Event

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


def test_an_agent_reply_on_a_web_ticket_queues_no_mail(dana, alice):
    from opora.inbox.email.models import OutboundMail

    ticket = actions.create_ticket(requester=dana, subject="Hi", body="Hello", by=dana)
    actions.add_message(ticket, by=alice, body="Answer")
    assert not OutboundMail.objects.exists()
