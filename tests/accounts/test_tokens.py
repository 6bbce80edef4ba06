from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.utils import timezone

from opora.accounts import tokens
from opora.accounts.models import AccountEvent, ApiToken
from tests.conftest import PASSWORD, Api
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


# --- lifetimes ---

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _bearer(raw: str) -> Api:
    client = Api(None)
    client.client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_a_token_works_until_its_last_day_then_answers_token_expired(alice):
    with time_machine.travel(START, tick=False) as clock:
        # given a token Alice made for 7 days
        token, raw = tokens.issue_token(alice, scopes=["read"], expires_in_days=7)
        assert token.expires_at == START + timedelta(days=7)
        script = _bearer(raw)
        # a second before the end it still works
        clock.move_to(START + timedelta(days=7) - timedelta(seconds=1))
        assert script.get("/me").status_code == 200
        # from the end on it answers 401 token_expired, and writes nothing
        clock.move_to(START + timedelta(days=7))
        with nothing_written(token):
            response = script.get("/me")
        assert (response.status_code, response.json()["code"]) == (401, "token_expired")
        assert response.json()["detail"]


def test_the_token_endpoint_takes_scopes_and_a_lifetime(api, alice):
    with time_machine.travel(START, tick=False):
        response = api(None).post(
            "/auth/token",
            {
                "email": "alice@desk.test",
                "password": PASSWORD,
                "scopes": ["tickets"],
                "expires_in_days": 30,
            },
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["scopes"] == ["tickets"]
    assert body["expires_at"].startswith("2026-04-01")
    assert ApiToken.objects.get(pk=body["id"]).scopes == "tickets"


def test_without_a_choice_a_token_gets_the_default_lifetime_and_full_scope(api, alice, settings):
    settings.API_TOKEN_TTL_DAYS = 90
    with time_machine.travel(START, tick=False):
        body = (
            api(None).post("/auth/token", {"email": "alice@desk.test", "password": PASSWORD}).json()
        )
    assert body["scopes"] == ["admin"]
    assert body["expires_at"].startswith("2026-05-31")


def test_only_admins_make_tokens_that_never_expire_by_default(api, alice, ada):
    def ask(email: str) -> Any:
        return api(None).post(
            "/auth/token",
            {"email": email, "password": PASSWORD, "expires_in_days": None},
        )

    with nothing_written(alice):
        agent = ask("alice@desk.test")
    assert (agent.status_code, agent.json()["code"]) == (422, "token_lifetime")
    assert agent.json()["errors"][0]["field"] == "expires_in_days"
    admin = ask("ada@desk.test")
    assert admin.status_code == 201
    assert admin.json()["expires_at"] is None


def test_the_desk_sets_the_longest_lifetime_and_who_may_have_no_end(api, alice, ada, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    settings.API_TOKEN_NEVER_EXPIRES = "nobody"
    signed_in = api(ada)
    with nothing_written():
        too_long = signed_in.post(
            "/me/tokens", {"name": "ci", "scopes": ["read"], "expires_in_days": 90}
        )
        endless = signed_in.post(
            "/me/tokens", {"name": "ci", "scopes": ["read"], "expires_in_days": None}
        )
    assert [(r.status_code, r.json()["code"]) for r in (too_long, endless)] == [
        (422, "token_lifetime")
    ] * 2
    assert signed_in.post(
        "/me/tokens", {"name": "ci", "scopes": ["read"], "expires_in_days": 30}
    ).status_code == (201)
    settings.API_TOKEN_NEVER_EXPIRES = "everyone"
    assert tokens.lifetime_choices(alice) == [7, 30, None]


def test_unknown_scopes_and_lifetimes_are_clear_422s(api, alice):
    signed_in = api(alice)
    with nothing_written():
        answers = [
            signed_in.post("/me/tokens", {"name": "x", "scopes": ["root"], "expires_in_days": 7}),
            signed_in.post("/me/tokens", {"name": "x", "scopes": [], "expires_in_days": 7}),
            signed_in.post("/me/tokens", {"name": "x", "scopes": ["read"], "expires_in_days": 0}),
            signed_in.post("/me/tokens", {"name": "x", "scopes": ["read"]}),
        ]
    assert [a.status_code for a in answers] == [422] * 4


# --- managing one's tokens ---


def test_i_list_my_tokens_without_their_secrets(api, alice, bob):
    desk = api(alice)
    api(bob)  # someone else's token
    made = desk.post("/me/tokens", {"name": "Jira", "scopes": ["tickets"], "expires_in_days": 90})
    assert made.status_code == 201
    raw = made.json()["token"]
    listed = desk.get("/me/tokens").json()
    assert [t["name"] for t in listed] == ["Jira", "api"]
    jira = listed[0]
    assert set(jira) == {
        "id",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "active",
    }
    assert (jira["scopes"], jira["active"], jira["prefix"]) == (["tickets"], True, raw[:10])
    assert raw not in desk.get("/me/tokens").content.decode()


def test_a_token_made_from_the_session_works_within_its_scope(client, alice, make_ticket, dana):
    ticket = make_ticket(dana)
    client.force_login(alice)
    made = client.post(
        "/api/v1/me/tokens",
        '{"name": "reader", "scopes": ["read"], "expires_in_days": 7}',
        content_type="application/json",
    )
    assert made.status_code == 201
    script = _bearer(made.json()["token"])
    assert script.get(f"/tickets/{ticket.number}").status_code == 200
    refused = script.post(f"/tickets/{ticket.number}/messages", {"body": "x"})
    assert (refused.status_code, refused.json()["code"]) == (403, "token_scope")


def test_only_an_admin_token_makes_more_tokens(alice):
    _, raw = tokens.issue_token(alice, scopes=["tickets"], expires_in_days=7)
    script = _bearer(raw)
    with nothing_written():
        refused = script.post(
            "/me/tokens", {"name": "more", "scopes": ["admin"], "expires_in_days": 7}
        )
    assert (refused.status_code, refused.json()["code"]) == (403, "token_scope")


def test_a_session_that_still_owes_its_second_factor_makes_no_token(client, ada, alice):
    from opora.accounts.twofactor import set_two_factor_policy

    set_two_factor_policy(agents_required=True, admins_required=False, by=ada)
    client.force_login(alice)
    with nothing_written():
        refused = client.post(
            "/api/v1/me/tokens",
            '{"name": "x", "scopes": ["read"], "expires_in_days": 7}',
            content_type="application/json",
        )
    assert (refused.status_code, refused.json()["code"]) == (403, "two_factor_enrolment_required")


def test_i_revoke_my_own_token_but_not_someone_elses(api, alice, bob):
    desk = api(alice)
    own, own_raw = tokens.issue_token(alice, name="old script", expires_in_days=7)
    theirs, theirs_raw = tokens.issue_token(bob, name="bob's", expires_in_days=7)
    # someone else's token is as good as missing, and stays as it was
    with nothing_written(theirs):
        answer = desk.delete(f"/me/tokens/{theirs.pk}")
        missing = desk.delete("/me/tokens/999999")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    assert missing.status_code == 404
    assert _bearer(theirs_raw).get("/me").status_code == 200
    # my own stops working at once, and is listed as revoked
    assert desk.delete(f"/me/tokens/{own.pk}").status_code == 204
    assert _bearer(own_raw).get("/me").status_code == 401
    listed = {t["id"]: t for t in desk.get("/me/tokens").json()}
    assert listed[own.pk]["revoked_at"] is not None and listed[own.pk]["active"] is False
    assert AccountEvent.objects.filter(user=alice, kind="api_token_revoked").count() == 1


def test_an_admin_lists_and_revokes_anyones_tokens(api, ada, alice, bob):
    admin = api(ada)
    leaving, raw = tokens.issue_token(alice, name="laptop", expires_in_days=30)
    listed = admin.get(f"/users/{alice.pk}/tokens")
    assert [t["name"] for t in listed.json()] == ["laptop"]
    assert admin.delete(f"/users/{alice.pk}/tokens/{leaving.pk}").status_code == 204
    assert _bearer(raw).get("/me").status_code == 401
    event = AccountEvent.objects.get(user=alice, kind="api_token_revoked")
    assert event.by == ada
    # a token named under the wrong person is not found
    bobs, _ = tokens.issue_token(bob, expires_in_days=7)
    with nothing_written(bobs):
        wrong = admin.delete(f"/users/{alice.pk}/tokens/{bobs.pk}")
    assert wrong.status_code == 404


def test_agents_do_not_manage_other_peoples_tokens(api, alice, bob):
    desk = api(alice)
    bobs, _ = tokens.issue_token(bob, expires_in_days=7)
    with nothing_written(bobs):
        listed = desk.get(f"/users/{bob.pk}/tokens")
        revoked = desk.delete(f"/users/{bob.pk}/tokens/{bobs.pk}")
    assert [(r.status_code, r.json()["code"]) for r in (listed, revoked)] == [
        (403, "admins_only")
    ] * 2
