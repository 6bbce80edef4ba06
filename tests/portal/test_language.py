"""Which language the pages speak: the user's own, else the browser's."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.test import AsyncClient

from opora.accounts.models import User


def test_visitors_get_the_browsers_language(client, db):
    page = client.get("/signin", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9").content.decode()
    assert "Вход" in page and '<html lang="ru">' in page
    page = client.get("/signin", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert "Sign in" in page and '<html lang="en">' in page


def test_the_users_language_wins_over_the_browser(client, alice):
    alice.language = "ru"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get("/agent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Мои открытые заявки" in page


def test_switching_language_is_remembered_for_the_user(client, dana):
    client.force_login(dana)
    response = client.post("/language", {"language": "ru", "next": "/portal/"})
    assert response["Location"] == "/portal/"
    assert User.objects.get(pk=dana.pk).language == "ru"
    assert "Мои заявки" in client.get("/portal/").content.decode()


def test_a_visitor_switch_sets_the_cookie(client, db):
    response = client.post("/language", {"language": "ru", "next": "/signin"})
    assert response.cookies["django_language"].value == "ru"
    assert "Вход" in client.get("/signin", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert client.post("/language", {"language": "xx"}).status_code == 302


def test_model_labels_and_core_errors_are_translated(client, alice, dana, make_ticket):
    ticket = make_ticket(dana, priority="urgent")
    alice.language = "ru"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "Срочный" in page and "Новая" in page
    response = client.post(f"/agent/tickets/{ticket.number}/update", {"status": "closed"})
    assert "Заявку нельзя перевести из «new» в «closed»." in response.content.decode()


def test_under_asgi_the_users_language_wins_too(alice):
    # given an agent who chose Russian, signed in, through Django's ASGI handler (the
    # path `opora serve` takes: the middleware chain runs in async mode)
    alice.language = "ru"
    alice.save(update_fields=["language"])
    client = AsyncClient()
    async_to_sync(client.aforce_login)(alice)
    # when the browser asks for English
    response = async_to_sync(client.get)("/agent/", headers={"accept-language": "en"})
    # then the page is Russian, and a visitor without a session gets the browser's
    assert response.status_code == 200
    assert "Мои открытые заявки" in response.content.decode()
    visitor = async_to_sync(AsyncClient().get)("/signin", headers={"accept-language": "en"})
    assert "Sign in" in visitor.content.decode()
