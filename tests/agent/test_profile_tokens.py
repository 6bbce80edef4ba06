"""The profile's API tokens page: agents list, make and revoke their tokens; the new
token is shown once; customers are sent to their portal."""

from __future__ import annotations

import re

from django.test import Client

from opora.accounts import tokens
from opora.accounts.models import ApiToken, User
from tests.writes import nothing_written

PAGE = "/agent/profile/tokens"


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_agent_makes_a_token_and_sees_it_once(alice: User) -> None:
    page = _signed_in(alice)
    empty = page.get(PAGE)
    assert empty.status_code == 200
    assert "data-no-tokens" in empty.content.decode()
    # when she makes a read token for 30 days
    made = page.post(PAGE + "/new", {"name": "Reports", "scope": "read", "expires": "30"})
    # then the page shows it, once
    html = made.content.decode()
    assert made.status_code == 200
    raw = re.search(r"data-raw-token[^>]*>(opora_[^<]+)<", html)
    assert raw is not None
    token = ApiToken.objects.get(user=alice)
    assert (token.name, token.scopes) == ("Reports", "read")
    assert token.expires_at is not None
    assert tokens.authenticate(raw.group(1), needs="read") == alice
    again = page.get(PAGE).content.decode()
    assert raw.group(1) not in again and "Reports" in again


def test_never_is_offered_to_admins_only(alice: User, ada: User) -> None:
    assert 'value="never"' not in _signed_in(alice).get(PAGE).content.decode()
    assert 'value="never"' in _signed_in(ada).get(PAGE).content.decode()
    # and an agent who sends it anyway is refused, with nothing made
    page = _signed_in(alice)
    with nothing_written():
        refused = page.post(PAGE + "/new", {"name": "x", "scope": "read", "expires": "never"})
    assert refused.status_code == 400


def test_an_agent_revokes_only_her_own_tokens(alice: User, bob: User) -> None:
    own, _ = tokens.issue_token(alice, name="old", expires_in_days=7)
    theirs, _ = tokens.issue_token(bob, name="bob's", expires_in_days=7)
    page = _signed_in(alice)
    with nothing_written(theirs):
        refused = page.post(f"{PAGE}/{theirs.pk}/revoke")
    assert refused.status_code == 404
    done = page.post(f"{PAGE}/{own.pk}/revoke", follow=True)
    assert done.status_code == 200
    own.refresh_from_db()
    assert own.revoked_at is not None
    assert f'data-token="{own.pk}" data-state="revoked"' in done.content.decode()


def test_the_page_speaks_russian(alice: User) -> None:
    alice.language = "ru"
    alice.save(update_fields=["language"])
    html = _signed_in(alice).get(PAGE, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "API-токены" in html and "Создать токен" in html


def test_customers_are_sent_to_their_portal(dana: User) -> None:
    portal = _signed_in(dana)
    answer = portal.get(PAGE)
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/"
    with nothing_written():
        made = portal.post(PAGE + "/new", {"name": "x", "scope": "read", "expires": "7"})
    assert made.status_code == 302
