"""Customer satisfaction: a rating request after solving, one rating, changeable for a while."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from opora.core.tasks import run_queued_tasks
from opora.feedback.models import Rating, RatingRequest
from opora.tickets import actions
from tests.writes import nothing_written


def _solve(ticket, agent, capture):
    actions.add_message(ticket, by=agent, body="Fixed: the driver is updated.")
    with capture(execute=True):
        actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=agent)
    run_queued_tasks()


def test_solving_sends_one_rating_link_that_records_the_rating(
    make_ticket, dana, alice, django_capture_on_commit_callbacks
):
    ticket = make_ticket(dana, by=alice)
    # when the ticket is solved
    _solve(ticket, alice, django_capture_on_commit_callbacks)
    # then Dana gets one e-mail with signed links for each score
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dana@acme.test"]
    links = re.findall(r"http://\S+/feedback/(\S+)/\?score=(\d)", str(mail.outbox[0].body))
    assert [score for _, score in links] == ["1", "2", "3", "4", "5"]
    assert RatingRequest.objects.filter(ticket=ticket).exists()
    # when she follows the link for 4 and adds a comment
    token = links[3][0]
    page = Client().get(f"/feedback/{token}/?score=4")
    assert page.status_code == 200
    assert 'value="4" checked' in page.content.decode()
    saved = Client().post(f"/feedback/{token}/", {"score": "4", "comment": "Quick, thanks"})
    # then the rating is stored
    assert saved.status_code == 200
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment) == (4, "Quick, thanks")


def test_a_forged_link_is_refused(make_ticket, dana, alice):
    ticket = make_ticket(dana, by=alice)
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    assert Client().get("/feedback/not-a-real-token/").status_code == 404
    with nothing_written(ticket):
        response = Client().post("/feedback/not-a-real-token/", {"score": "1"})
    assert response.status_code == 404


def test_the_rating_can_be_changed_within_the_configured_days(
    api, settings, make_ticket, dana, alice, dave
):
    settings.CSAT_CHANGE_DAYS = 3
    ticket = make_ticket(dana, by=alice)
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    requester, colleague = api(dana), api(dave)
    assert requester.post(f"/tickets/{ticket.number}/rating", {"score": 2}).status_code == 200
    rating = Rating.objects.get(ticket=ticket)
    # a colleague who may see the ticket still cannot rate it
    with nothing_written(ticket, rating):
        refused = colleague.post(f"/tickets/{ticket.number}/rating", {"score": 5})
    assert (refused.status_code, refused.json()["code"]) == (403, "not_requester")
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        changed = requester.post(f"/tickets/{ticket.number}/rating", {"score": 5, "comment": "ok"})
        assert changed.json()["score"] == 5
    rating.refresh_from_db()
    with time_machine.travel(timezone.now() + timedelta(days=4)), nothing_written(ticket, rating):
        late = requester.post(f"/tickets/{ticket.number}/rating", {"score": 1})
    assert (late.status_code, late.json()["code"]) == (422, "rating_locked")
    assert Rating.objects.get(ticket=ticket).score == 5


def test_an_open_ticket_cannot_be_rated(api, make_ticket, dana, alice):
    ticket = make_ticket(dana, by=alice)
    requester = api(dana)
    with nothing_written(ticket):
        response = requester.post(f"/tickets/{ticket.number}/rating", {"score": 5})
    assert (response.status_code, response.json()["code"]) == (422, "not_solved")


def test_outsiders_cannot_rate(api, make_ticket, dana, alice, charlie, otto, billing):
    ticket = make_ticket(dana, by=alice)
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    clients = [api(charlie), api(otto), api(None)]
    with nothing_written(ticket):
        answers = [c.post(f"/tickets/{ticket.number}/rating", {"score": 1}) for c in clients]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (404, "not_found"),
        (404, "not_found"),
        (401, "unauthorized"),
    ]
