"""Russian-speaking people get the rating page, its e-mail and the dashboard in Russian."""

from __future__ import annotations

from django.core import mail
from django.test import Client

from opora.core.tasks import run_queued_tasks
from opora.feedback.actions import rating_token
from opora.tickets import actions


def test_the_rating_mail_and_page_speak_russian(
    make_ticket, dana, alice, django_capture_on_commit_callbacks
):
    # given Dana speaks Russian and her ticket is solved
    dana.language = "ru"
    dana.save(update_fields=["language"])
    ticket = make_ticket(dana, by=alice)
    actions.add_message(ticket, by=alice, body="Готово.")
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    run_queued_tasks()

    # when she opens the rating link with a Russian browser
    page = Client().get(
        f"/feedback/{rating_token(ticket)}/?score=5", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9"
    )

    # then the e-mail and the page are in Russian
    assert mail.outbox[-1].subject == f"Как мы справились? Заявка №{ticket.number}"
    assert "Насколько вы довольны нашей помощью?" in str(mail.outbox[-1].body)
    text = page.content.decode()
    assert "Оцените нашу помощь" in text
    assert f"Заявка №{ticket.number}" in text
    assert "Комментарий (необязательно)" in text


def test_the_dashboard_speaks_russian_to_a_russian_lead(client, lena):
    # given
    lena.language = "ru"
    lena.save(update_fields=["language"])
    client.force_login(lena)

    # when
    page = client.get("/reports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # then
    assert "Показатели поддержки" in page
    assert "Выгрузить CSV" in page
    assert "Support KPIs" not in page
