"""Sign in with a password or a one-time link, sign up, sign out, rate limits."""

from __future__ import annotations

import re
import time

from django.core import mail, signing

from opora.accounts.models import User
from opora.portal import signin_links
from tests.conftest import PASSWORD
from tests.writes import nothing_written


def _signin(client, email, password=PASSWORD, **extra):
    return client.post("/signin", {"email": email, "password": password} | extra)


def test_password_sign_in_goes_home_or_to_next(client, alice, dana):
    assert _signin(client, "DANA@acme.test")["Location"] == "/portal/"
    client.post("/signout")
    assert _signin(client, alice.email)["Location"] == "/agent/"
    client.post("/signout")
    response = _signin(client, alice.email, next="/agent/?view=pending")
    assert response["Location"] == "/agent/?view=pending"
    client.post("/signout")
    assert _signin(client, alice.email, next="https://evil.test/")["Location"] == "/agent/"


def test_a_wrong_password_is_refused_and_the_email_kept(client, dana):
    with nothing_written(dana):
        response = _signin(client, dana.email, "nope")
    assert response.status_code == 200
    page = response.content.decode()
    assert "The e-mail or password is not right." in page
    assert f'value="{dana.email}"' in page
    assert "_auth_user_id" not in client.session


def test_sign_in_attempts_are_rate_limited(client, dana, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        _signin(client, dana.email, "nope")
    with nothing_written(dana):
        response = _signin(client, dana.email)  # even the right password waits
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_sign_out_needs_a_post(client, dana):
    client.force_login(dana)
    with nothing_written(dana):
        assert client.get("/signout").status_code == 405
    assert client.post("/signout")["Location"] == "/signin"
    assert client.get("/portal/")["Location"].startswith("/signin")


def test_sign_up_attaches_the_organization_by_domain(client, acme):
    response = client.post(
        "/signup", {"name": "Eve", "email": "eve@acme.test", "password": "long-enough-pass-1"}
    )
    assert response["Location"] == "/portal/"
    eve = User.objects.get(email="eve@acme.test")
    assert (eve.role, eve.organization_id) == ("customer", acme.pk)
    assert client.get("/portal/").status_code == 200


def test_sign_up_errors_keep_the_input(client, dana):
    with nothing_written(dana):
        response = client.post(
            "/signup", {"name": "Dana 2", "email": dana.email, "password": "long-enough-pass-1"}
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "An account with this e-mail already exists." in page
    assert 'value="Dana 2"' in page
    with nothing_written():
        response = client.post("/signup", {"name": "X", "email": "x@y.test", "password": "123"})
    assert response.status_code == 400
    assert "This password is too short" in response.content.decode()


def _link_from_outbox():
    found = re.search(r"https?://\S+/signin/link/(\S+)", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(0)


def test_a_sign_in_link_works_once(client, dana, settings):
    # given
    settings.BASE_URL = "http://desk.test"
    response = client.post("/signin/link", {"email": "Dana@Acme.test"})
    assert "a sign-in link is on its way" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [dana.email]
    link = _link_from_outbox()
    assert link.startswith("http://desk.test/signin/link/")
    path = link.removeprefix("http://desk.test")

    # when: the GET only asks for confirmation, the POST signs in
    assert client.get(path).status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.post(path)["Location"] == "/portal/"
    assert client.session["_auth_user_id"] == str(dana.pk)

    # then: the same link does not work again
    client.post("/signout")
    with nothing_written(dana):
        response = client.post(path)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert "This link no longer works" in response.content.decode()


def test_a_sign_in_link_expires(client, dana, settings, monkeypatch):
    settings.SIGNIN_LINK_HOURS = 24
    # a link signed 25 hours ago
    past = int(time.time() - 25 * 3600)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(past))
    token = signin_links.make_token(dana)
    monkeypatch.undo()
    with nothing_written(dana):
        assert client.post(f"/signin/link/{token}").status_code == 400
        assert client.post(f"/signin/link/{token}x").status_code == 400
    assert "_auth_user_id" not in client.session


def test_unknown_addresses_get_the_same_answer_and_no_mail(client, db):
    with nothing_written():
        response = client.post("/signin/link", {"email": "nobody@nowhere.test"})
    assert "a sign-in link is on its way" in response.content.decode()


def test_link_requests_are_rate_limited(client, dana, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 2
    for _ in range(2):
        client.post("/signin/link", {"email": dana.email})
    with nothing_written(dana):
        assert client.post("/signin/link", {"email": dana.email}).status_code == 429
    assert len(mail.outbox) == 2


def test_the_link_mail_speaks_the_users_language(client, dana):
    dana.language = "ru"
    dana.save(update_fields=["language"])
    client.post("/signin/link", {"email": dana.email})
    assert mail.outbox[0].subject == "Ваша ссылка для входа"
    assert "Здравствуйте, Dana!" in mail.outbox[0].body


def test_a_blocked_customer_gets_no_sign_in_link_and_old_links_stop_working(client, dana, settings):
    settings.BASE_URL = "http://desk.test"
    # a link sent before the block
    client.post("/signin/link", {"email": dana.email})
    path = _link_from_outbox().removeprefix("http://desk.test")
    dana.blocked = True
    dana.save(update_fields=["blocked"])
    mail.outbox.clear()

    # asking again answers the same page but sends nothing
    response = client.post("/signin/link", {"email": dana.email})
    assert "a sign-in link is on its way" in response.content.decode()
    assert mail.outbox == []
    # and the old link signs nobody in
    with nothing_written(dana):
        response = client.post(path)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
