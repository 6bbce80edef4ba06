"""A customer's own settings: language and whether answers come by e-mail, on the portal's
profile page and through the API's own-account endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import User
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def test_the_portal_header_links_to_the_profile(client: Client, dana: User) -> None:
    client.force_login(dana)
    page = client.get("/portal/").content.decode()
    assert 'href="/portal/profile"' in page


def test_a_customer_turns_notifications_off_and_switches_to_russian(
    client: Client, dana: User
) -> None:
    # given Dana on her profile page, notified by e-mail (the default)
    client.force_login(dana)
    page = client.get("/portal/profile").content.decode()
    assert "Notifications" in page and "E-mail me when my request is answered" in page
    assert 'name="notify_by_email"' in page and "checked" in page
    # when she turns the notices off and chooses Russian
    response = client.post("/portal/profile", {"language": "ru"})
    # then both are kept, and the page speaks Russian
    assert response.status_code == 302 and response["Location"] == "/portal/profile"
    dana.refresh_from_db()
    assert (dana.notify_by_email, dana.language) == (False, "ru")
    page = client.get("/portal/profile").content.decode()
    assert "Уведомления" in page and "Настройки сохранены." in page
    # and she may turn them on again
    client.post("/portal/profile", {"language": "ru", "notify_by_email": "on"})
    dana.refresh_from_db()
    assert dana.notify_by_email is True


def test_an_unknown_language_is_refused_and_nothing_changes(client: Client, dana: User) -> None:
    client.force_login(dana)
    with nothing_written(dana):
        response = client.post("/portal/profile", {"language": "xx"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/portal/profile")
    assert response.status_code == 302 and "/signin" in response["Location"]


def test_the_api_reads_and_writes_the_preference(api: Any, dana: User) -> None:
    me = api(dana)
    assert me.get("/me").json()["notify_by_email"] is True
    answer = me.patch("/me", {"notify_by_email": False, "language": "ru"})
    assert answer.status_code == 200
    assert (answer.json()["notify_by_email"], answer.json()["language"]) == (False, "ru")
    dana.refresh_from_db()
    assert (dana.notify_by_email, dana.language) == (False, "ru")
    # a field left out stays as it is
    assert me.patch("/me", {"language": "en"}).json()["notify_by_email"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"notify_by_email": "sometimes"},
        {"language": "xx"},
        {"role": "admin"},  # not one's own to change
    ],
)
def test_the_api_refuses_bad_settings_and_writes_nothing(
    api: Any, dana: User, body: dict[str, Any]
) -> None:
    me = api(dana)
    with nothing_written(dana):
        answer = me.patch("/me", body)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == next(iter(body))


def test_without_credentials_nothing_changes(api: Any, dana: User) -> None:
    with nothing_written(dana):
        answer = api(None).patch("/me", {"notify_by_email": False})
    assert answer.status_code == 401
