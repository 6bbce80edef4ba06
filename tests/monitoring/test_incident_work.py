"""An incident's work with customers: public updates (status page, subscribers by
e-mail with double opt-in), customer tickets suggested and linked in bulk, one answer
to all of them, and the resolution notice in each customer's language, whether the
monitor recovers or an agent resolves it by hand."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.core.tasks import run_queued_tasks
from opora.monitoring import linking, subscribers, updates
from opora.monitoring.models import Incident, Monitor, StatusSubscriber
from opora.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.monitoring.conftest import check
from tests.monitoring.servers import HttpServer
from tests.writes import nothing_written


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[[Callable[[], Any]], Any]:
    """Do something, let its after-commit work and queued jobs run."""

    def go(fn: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            result = fn()
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                if not run_queued_tasks():
                    break
        return result

    return go


@pytest.fixture
def outage(
    site: HttpServer, make_monitor: Callable[..., Monitor], support: Team, run: Any
) -> Incident:
    monitor = make_monitor(
        name="Shop",
        target=site.url + "/",
        down_after=1,
        team=support.pk,
        public=True,
        public_name="Online shop",
    )
    site.set(status=500)
    run(lambda: check(monitor))
    incident = Incident.objects.get()
    incident.keywords = "магазин, оплата"
    incident.save()
    return incident


def _client(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _confirmed(email: str, language: str) -> StatusSubscriber:
    return StatusSubscriber.objects.create(
        email=email, language=language, confirmed_at=timezone.now()
    )


def test_a_public_update_shows_on_the_page_and_reaches_subscribers_in_their_language(
    outage: Incident, lena: User, run: Any
) -> None:
    _confirmed("anna@example.test", "ru")
    _confirmed("john@example.test", "en")
    StatusSubscriber.objects.create(email="maybe@example.test")  # never confirmed
    mail.outbox.clear()
    answer = run(
        lambda: _client(lena).post(
            f"/admin/monitoring/incidents/{outage.pk}/update",
            {"status": "identified", "body": "The payment provider is down.", "public": "on"},
        )
    )
    assert answer.status_code == 302
    assert "payment provider is down" in Client().get("/status/").content.decode()
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {"anna@example.test", "john@example.test"}
    assert "Причина найдена" in sent["anna@example.test"].subject
    assert "Identified" in sent["john@example.test"].subject
    leave = sent["john@example.test"].extra_headers["List-Unsubscribe"].strip("<>")
    assert leave in sent["john@example.test"].body
    # The problem ticket keeps the update as an internal note.
    assert outage.ticket is not None
    assert outage.ticket.messages.filter(internal=True, body__contains="payment provider").exists()
    # An internal update stays with the desk.
    mail.outbox.clear()
    run(
        lambda: updates.post_update(
            outage, by=lena, status_="investigating", body="Ask Bob about it.", public=False
        )
    )
    assert mail.outbox == [] and "Ask Bob" not in Client().get("/status/").content.decode()


def test_subscribing_takes_a_confirmed_address_and_the_links_are_signed(db: None) -> None:
    client = Client()
    page = client.post("/status/subscribe", {"email": "Anna@Example.test", "lang": "ru"})
    assert page.status_code == 200 and "Проверьте почту" in page.content.decode()
    subscriber = StatusSubscriber.objects.get()
    assert subscriber.email == "anna@example.test" and subscriber.confirmed_at is None
    [letter] = mail.outbox
    link = re.search(r"/status/confirm/\S+", str(letter.body))
    assert link is not None
    path: str = link.group(0)
    # Opening the link asks; the button confirms (mail scanners only open links).
    assert client.get(path).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None
    assert client.post(path).status_code == 200
    subscriber = StatusSubscriber.objects.get()
    assert subscriber.confirmed_at is not None
    # A forged or altered token finds no one.
    assert client.get(path + "x").status_code == 404
    leave = "/status/unsubscribe/" + subscribers.unsubscribe_token(subscriber)
    assert client.post(leave).status_code == 200
    assert not StatusSubscriber.objects.exists()
    assert client.post(leave).status_code == 404


def test_a_bad_address_is_refused_and_nothing_is_written(db: None, api: Any) -> None:
    with nothing_written():
        page = Client().post("/status/subscribe", {"email": "not an address"})
    assert page.status_code == 400
    with nothing_written():
        answer = api(None).post("/status/subscribers", {"email": "nope"})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_email"
    assert api(None).post("/status/subscribers", {"email": "a@b.test"}).status_code == 202


def test_matching_tickets_are_suggested_linked_in_bulk_answered_and_told_in_ru_and_en(
    outage: Incident,
    site: HttpServer,
    lena: User,
    dana: User,
    charlie: User,
    make_ticket: Callable[..., Ticket],
    run: Any,
) -> None:
    english = make_ticket(dana, subject="Online shop does not open", language="en")
    russian = make_ticket(
        charlie,
        subject="Не могу оплатить",  # noqa: RUF001
        body="Магазин не открывается с утра",  # noqa: RUF001
        language="ru",
    )
    unrelated = make_ticket(dana, subject="Printer jam", body="Paper stuck.")
    before = make_ticket(charlie, subject="Online shop slow")
    Ticket.objects.filter(pk=before.pk).update(created_at=outage.started_at - timedelta(days=1))
    found = {t.number for t in linking.suggestions(lena, outage)}
    assert found == {english.number, russian.number}
    assert unrelated.number not in found

    client = _client(lena)
    page = client.get(f"/admin/monitoring/incidents/{outage.pk}/")
    assert (
        page.status_code == 200 and f'data-suggestion="{russian.number}"' in page.content.decode()
    )
    answer = client.post(
        f"/admin/monitoring/incidents/{outage.pk}/link",
        {"ticket": [str(english.number), str(russian.number)]},
    )
    assert answer.status_code == 302
    assert {t.pk for t in linking.linked_tickets(outage)} == {english.pk, russian.pk}
    assert linking.suggestions(lena, outage) == []

    client.post(
        f"/admin/monitoring/incidents/{outage.pk}/answer",
        {
            "body_en": "We know the shop is down and are fixing it.",
            "body_ru": "Мы знаем о сбое магазина и чиним.",  # noqa: RUF001
        },
    )
    assert english.messages.filter(internal=False, body__startswith="We know").exists()
    assert russian.messages.filter(internal=False, body__startswith="Мы знаем").exists()

    site.set(status=200)
    run(lambda: check(outage.monitor))  # type: ignore[arg-type]
    outage.refresh_from_db()
    assert outage.resolved_at is not None and outage.customers_told_at is not None
    [en_notice] = english.messages.filter(automated=True, internal=False)
    [ru_notice] = russian.messages.filter(automated=True, internal=False)
    assert en_notice.body.startswith("Good news") and "Online shop" in en_notice.body
    assert ru_notice.body.startswith("Хорошие новости") and "Online shop" in ru_notice.body
    # A second run of the job tells no one twice.
    assert linking.tell_customers(outage.pk, by=lena) == 0


def test_resolving_by_hand_tells_the_linked_customers(
    outage: Incident,
    lena: User,
    charlie: User,
    make_ticket: Callable[..., Ticket],
    api: Any,
    run: Any,
) -> None:
    ticket = make_ticket(charlie, subject="Магазин лежит", language="ru")
    assert api(lena).post(
        f"/monitoring/incidents/{outage.pk}/tickets", {"tickets": [ticket.number]}
    ).json() == {"count": 1}
    answer = run(lambda: api(lena).post(f"/monitoring/incidents/{outage.pk}/resolve", {}))
    assert answer.status_code == 200 and answer.json()["resolved_at"] is not None
    [notice] = ticket.messages.filter(automated=True, internal=False)
    assert notice.body.startswith("Хорошие новости")
    assert "Online shop is unavailable" in Client().get("/status/").content.decode()


def test_refusals_write_nothing(
    outage: Incident,
    alice: User,
    lena: User,
    charlie: User,
    make_ticket: Callable[..., Ticket],
    api: Any,
) -> None:
    ticket = make_ticket(charlie, subject="Shop down")
    agent, lead = api(alice), api(lena)
    with nothing_written(ticket):
        assert (
            agent.post(
                f"/monitoring/incidents/{outage.pk}/tickets", {"tickets": [ticket.number]}
            ).status_code
            == 403
        )
        assert (
            lead.post(
                f"/monitoring/incidents/{outage.pk}/tickets", {"tickets": [ticket.number, 999999]}
            ).status_code
            == 404
        )
        assert (
            lead.post(f"/monitoring/incidents/{outage.pk}/tickets", {"tickets": []}).status_code
            == 422
        )
        assert (
            lead.post(
                f"/monitoring/incidents/{outage.pk}/updates", {"status": "identified", "body": " "}
            ).status_code
            == 422
        )
        assert lead.post(f"/monitoring/incidents/{outage.pk}/answer", {}).status_code == 422
        assert agent.post(f"/monitoring/incidents/{outage.pk}/resolve", {}).status_code == 403
