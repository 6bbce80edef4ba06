"""Signed-in sessions: recorded at sign-in, listed in the profile and the API, revocable
one by one or all but this one; a revoked browser is signed out on its next request."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from opora.accounts.models import AccountEvent, SignInSession, User
from tests.conftest import PASSWORD
from tests.writes import nothing_written

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def browser(user: User, user_agent: str, address: str = "127.0.0.1") -> Client:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    answer = client.post("/signin", {"email": user.email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def signed_in(client: Client) -> bool:
    return client.get("/agent/").status_code == 200


def test_it_lists_the_sessions_on_the_security_page(alice):
    # given Alice signed in from Firefox on her desk and Safari on her phone
    desk = browser(alice, FIREFOX, "10.1.2.3")
    browser(alice, SAFARI, "10.9.8.7")

    # when she opens her Security page on the desk
    page = desk.get("/agent/profile/security").content.decode()

    # then both are listed with browser and address, this one marked
    assert "Firefox on Windows" in page
    assert "Safari on iOS" in page
    assert "10.1.2.3" in page and "10.9.8.7" in page
    assert page.count("data-this-session") == 1
    assert SignInSession.objects.filter(user=alice).count() == 2


def test_revoking_a_session_signs_that_browser_out_and_no_other(alice):
    desk = browser(alice, FIREFOX)
    phone = browser(alice, SAFARI)
    phone_session = SignInSession.objects.get(user=alice, user_agent=SAFARI)

    answer = desk.post(f"/agent/profile/security/sessions/{phone_session.pk}/revoke")

    assert answer.status_code == 302
    assert not signed_in(phone)
    assert phone.get("/agent/")["Location"].startswith("/signin")
    assert signed_in(desk)
    assert AccountEvent.objects.filter(user=alice, kind="session_revoked").count() == 1


def test_sign_out_everywhere_else_keeps_only_this_browser(alice):
    desk = browser(alice, FIREFOX)
    others = [browser(alice, SAFARI), browser(alice, FIREFOX)]

    desk.post("/agent/profile/security/sessions/revoke-others")

    assert signed_in(desk)
    assert not any(signed_in(other) for other in others)
    assert SignInSession.objects.filter(user=alice).count() == 1


def test_someone_elses_session_cannot_be_revoked(alice, bob):
    bobs = browser(bob, FIREFOX)
    alices = browser(alice, FIREFOX)
    target = SignInSession.objects.get(user=bob)
    with nothing_written(target):
        answer = alices.post(f"/agent/profile/security/sessions/{target.pk}/revoke")
    assert answer.status_code == 404
    assert signed_in(bobs)


def test_signing_out_forgets_the_session(alice):
    client = browser(alice, FIREFOX)
    client.post("/signout")
    assert not SignInSession.objects.filter(user=alice).exists()


def test_last_seen_is_noted_at_most_once_a_minute(alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = browser(alice, FIREFOX)
        clock.shift(timedelta(seconds=59))
        client.get("/agent/")
        assert SignInSession.objects.get(user=alice).last_seen_at == start
        clock.shift(timedelta(seconds=1))
        client.get("/agent/")
        assert SignInSession.objects.get(user=alice).last_seen_at == start + timedelta(minutes=1)


def test_the_api_lists_and_revokes_my_sessions(alice, bob, api):
    phone = browser(alice, SAFARI, "10.9.8.7")
    browser(bob, FIREFOX)
    client = api(alice)

    listed = client.get("/me/sessions")
    assert listed.status_code == 200
    [only] = listed.json()
    assert only["browser"] == "Safari on iOS"
    assert only["address"] == "10.9.8.7"
    assert only["current"] is False

    # bob's session is not alice's to revoke
    bobs = SignInSession.objects.get(user=bob)
    with nothing_written(bobs):
        refused = client.delete(f"/me/sessions/{bobs.pk}")
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"

    assert client.delete(f"/me/sessions/{only['id']}").status_code == 204
    assert not signed_in(phone)
    assert client.get("/me/sessions").json() == []


def test_the_api_marks_the_session_a_page_calls_it_from(alice):
    client = browser(alice, FIREFOX)
    [mine] = client.get("/api/v1/me/sessions").json()
    assert mine["current"] is True
