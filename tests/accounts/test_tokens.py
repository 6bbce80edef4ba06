from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from opora.accounts.models import ApiToken
from tests.conftest import PASSWORD
from tests.writes import nothing_written


def test_it_exchanges_email_and_password_for_a_token(api, alice):
    # when Alice signs in with her e-mail in another case
    response = api(None).post("/auth/token", {"email": " ALICE@desk.test", "password": PASSWORD})
    # then she gets a token that works, and only its hash is stored
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    assert token.startswith("opora_")
    assert response.json()["user"]["role"] == "agent"
    assert not ApiToken.objects.filter(key_hash=token).exists()
    me = api(None).client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.json()["email"] == "alice@desk.test"
    assert me.json()["support_line"] == 1


def test_a_wrong_password_is_refused(api, alice):
    visitor = api(None)
    with nothing_written(alice):
        response = visitor.post("/auth/token", {"email": "alice@desk.test", "password": "nope"})
    assert (response.status_code, response.json()["code"]) == (401, "unauthorized")
    assert response.json()["detail"]


def test_sign_in_attempts_are_rate_limited(api, alice, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 3
    client = api(None)
    codes = [
        client.post("/auth/token", {"email": "alice@desk.test", "password": "guess"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    # even the right password waits out the window, and gets no token
    with nothing_written(alice):
        right = client.post("/auth/token", {"email": "alice@desk.test", "password": PASSWORD})
    assert right.status_code == 429
    assert right.json()["code"] == "rate_limited"


def test_inactive_users_and_expired_tokens_are_refused(api, alice):
    client = api(alice)
    assert client.get("/me").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/me").status_code == 401
    ApiToken.objects.update(expires_at=None)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get("/me").status_code == 401


def test_tokens_expire_after_the_configured_days(api, alice, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    response = api(None).post("/auth/token", {"email": "alice@desk.test", "password": PASSWORD})
    assert response.json()["expires_at"] is not None


def test_me_shows_role_and_line(api, lena, dana):
    assert api(lena).get("/me").json()["is_team_lead"] is True
    me = api(dana).get("/me").json()
    assert (me["role"], me["support_line"], me["organization"]["name"]) == (
        "customer",
        None,
        "Acme",
    )


def test_a_token_is_revoked_only_with_itself(api, client, alice):
    # given Alice's token, and Alice signed in to the pages as well
    desk = api(alice)
    client.force_login(alice)
    anonymous = api(None)
    token = ApiToken.objects.get(user=alice)
    # when a request without a token, or with the browser session, asks to revoke one
    with nothing_written(token):
        unsigned = anonymous.delete("/auth/token")
        session = client.delete("/api/v1/auth/token")
    # then nothing is revoked
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "unauthorized")
    assert (session.status_code, session.json()["code"]) == (422, "no_token")
    assert desk.get("/me").status_code == 200
