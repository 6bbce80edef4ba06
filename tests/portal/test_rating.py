"""Rating a solved request from the portal's request page."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from opora.feedback.models import Rating
from opora.tickets import actions
from tests.writes import nothing_written


def _solved(make_ticket, requester):
    ticket = make_ticket(requester)
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=requester)
    return ticket


def test_the_form_appears_only_once_the_request_is_solved(client, dana, make_ticket):
    # given
    open_ticket = make_ticket(dana)
    solved = _solved(make_ticket, dana)
    client.force_login(dana)

    # when
    open_page = client.get(f"/portal/requests/{open_ticket.number}").content.decode()
    solved_page = client.get(f"/portal/requests/{solved.number}").content.decode()

    # then
    assert "data-rating" not in open_page
    assert "data-rating" in solved_page and "Send rating" in solved_page


def test_the_requester_rates_and_the_page_shows_the_rating(client, dana, make_ticket):
    # given
    ticket = _solved(make_ticket, dana)
    client.force_login(dana)

    # when
    response = client.post(
        f"/portal/requests/{ticket.number}/rate", {"score": "4", "comment": "Quick, thanks"}
    )

    # then
    assert response.status_code == 302
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment) == (4, "Quick, thanks")
    page = client.get(f"/portal/requests/{ticket.number}").content.decode()
    assert "Your rating: 4 of 5" in page and "Change rating" in page


def test_the_rating_can_be_changed_within_the_period_only(client, dana, make_ticket, settings):
    # given
    settings.CSAT_CHANGE_DAYS = 7
    ticket = _solved(make_ticket, dana)
    client.force_login(dana)
    client.post(f"/portal/requests/{ticket.number}/rate", {"score": "2"})

    # when
    changed = client.post(f"/portal/requests/{ticket.number}/rate", {"score": "5"})
    Rating.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(days=8))
    with nothing_written(ticket, Rating.objects.get(ticket=ticket)):
        late = client.post(f"/portal/requests/{ticket.number}/rate", {"score": "1"})

    # then
    assert changed.status_code == 302
    assert late.status_code == 422 and "can no longer be changed" in late.content.decode()
    assert Rating.objects.get(ticket=ticket).score == 5


def test_another_customer_cannot_rate(client, dana, dave, charlie, make_ticket):
    # given
    ticket = _solved(make_ticket, dana)

    # when: a colleague who sees the shared request, and an outsider
    client.force_login(dave)
    colleague_page = client.get(f"/portal/requests/{ticket.number}").content.decode()
    with nothing_written(ticket):
        colleague = client.post(f"/portal/requests/{ticket.number}/rate", {"score": "1"})
    client.force_login(charlie)
    with nothing_written(ticket):
        outsider = client.post(f"/portal/requests/{ticket.number}/rate", {"score": "1"})

    # then
    assert "data-rating" not in colleague_page
    assert colleague.status_code == 403
    assert outsider.status_code == 404


def test_a_bad_score_shows_an_error(client, dana, make_ticket):
    ticket = _solved(make_ticket, dana)
    client.force_login(dana)
    with nothing_written(ticket):
        response = client.post(f"/portal/requests/{ticket.number}/rate", {"score": "9"})
    assert response.status_code == 422
    assert "The rating must be from 1 to 5." in response.content.decode()


def test_the_rating_form_speaks_russian(client, dana, make_ticket):
    # given
    ticket = _solved(make_ticket, dana)
    dana.language = "ru"
    dana.save(update_fields=["language"])
    client.force_login(dana)
    client.post(f"/portal/requests/{ticket.number}/rate", {"score": "3"})

    # when
    page = client.get(f"/portal/requests/{ticket.number}").content.decode()

    # then
    assert "Ваша оценка: 3 из 5" in page and "Изменить оценку" in page
