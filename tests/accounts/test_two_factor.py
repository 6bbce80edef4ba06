"""Two-factor sign-in: setting up an authenticator app, its codes and recovery codes,
the second step of signing in, roles that require it, and API tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.test import Client

from opora.accounts import twofactor
from opora.accounts.models import AccountEvent, RecoveryCode, TotpDevice, User
from tests.conftest import PASSWORD
from tests.writes import nothing_written

START = datetime(2025, 3, 3, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def enrol(user: User) -> tuple[str, list[str]]:
    """Sets up the authenticator app at the current moment: (secret, recovery codes)."""
    secret = twofactor.start_totp_enrolment(user).secret
    from django.utils import timezone

    codes = twofactor.confirm_totp(user, pyotp.TOTP(secret).at(timezone.now()))
    return secret, codes


def signed_in_client(user: User) -> Client:
    """Signed in through the sign-in page, or directly where the second factor is due."""
    client = Client()
    if password_step(client, user)["Location"] == "/signin/verify":
        client.force_login(user)
    return client


def password_step(client: Client, user: User, **extra: str):
    return client.post("/signin", {"email": user.email, "password": PASSWORD, **extra})


def is_signed_in(client: Client) -> bool:
    return client.get("/agent/").status_code == 200


# --- enrolment ---


def test_it_enrols_an_authenticator_app_from_the_security_page(alice, clock):
    # given Alice on her Security page
    client = signed_in_client(alice)
    page = client.get("/agent/profile/security")
    assert page.status_code == 200
    assert b"data-totp-start" in page.content

    # when she starts, she is shown a secret, a QR code (inline SVG) and the otpauth URI
    client.post("/agent/profile/security/totp/start")
    page = client.get("/agent/profile/security")
    html = page.content.decode()
    secret = re.search(r"data-secret[^>]*>([A-Z2-7]+)<", html)
    assert secret is not None
    assert "<svg" in html
    assert "otpauth://totp/Opora:alice%40desk.test?secret=" in html
    # the app is not on until a code confirms it
    assert not twofactor.has_totp(alice)

    # when she confirms with the code her app shows
    answer = client.post(
        "/agent/profile/security/totp/confirm", {"code": code_at(secret.group(1), START)}
    )

    # then it is on, and ten recovery codes are shown once, stored only hashed
    assert answer.status_code == 200
    codes = re.findall(r"<li data-code>([a-z0-9-]+)</li>", answer.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert twofactor.has_totp(alice)
    stored = set(RecoveryCode.objects.filter(user=alice).values_list("code_hash", flat=True))
    assert not stored & set(codes)
    again = client.get("/agent/profile/security").content.decode()
    assert not any(code in again for code in codes)
    assert "10 recovery codes left" in again
    assert AccountEvent.objects.filter(user=alice, kind="totp_enrolled").exists()


def test_it_refuses_a_wrong_confirmation_code_and_stays_off(alice, clock):
    client = signed_in_client(alice)
    client.post("/agent/profile/security/totp/start")
    with nothing_written():
        answer = client.post("/agent/profile/security/totp/confirm", {"code": "000000"})
    assert answer.status_code == 400
    assert "The code is not right" in answer.content.decode()
    assert not twofactor.has_totp(alice)


def test_it_regenerates_recovery_codes_and_the_old_ones_stop_working(alice, clock):
    _secret, old = enrol(alice)
    client = signed_in_client(alice)
    answer = client.post("/agent/profile/security/recovery-codes")
    new = re.findall(r"<li data-code>([a-z0-9-]+)</li>", answer.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert not twofactor.use_recovery_code(alice, old[0])
    assert twofactor.use_recovery_code(alice, new[0])


def test_it_disables_with_the_password_or_a_code_but_not_without(alice, bob, clock):
    secret, _codes = enrol(alice)
    client = signed_in_client(alice)
    # neither
    with nothing_written():
        refused = client.post(
            "/agent/profile/security/totp/disable", {"password": "wrong", "code": "123456"}
        )
    assert refused.status_code == 400
    assert twofactor.has_totp(alice)
    # the password
    done = client.post("/agent/profile/security/totp/disable", {"password": PASSWORD})
    assert done.status_code == 302
    assert not twofactor.has_totp(alice)
    assert not RecoveryCode.objects.filter(user=alice).exists()
    assert AccountEvent.objects.filter(user=alice, kind="totp_disabled").exists()
    # a current code does as well
    secret, _codes = enrol(bob)
    clock.shift(timedelta(seconds=30))
    later = START + timedelta(seconds=30)
    answer = signed_in_client(bob).post(
        "/agent/profile/security/totp/disable", {"code": code_at(secret, later)}
    )
    assert answer.status_code == 302
    assert not twofactor.has_totp(bob)


# --- codes ---


def test_codes_pass_within_one_step_of_drift_and_not_beyond(alice, clock):
    secret, _codes = enrol(alice)  # spends the step of START
    clock.shift(timedelta(minutes=5))
    now = START + timedelta(minutes=5)
    assert not twofactor.verify_totp(alice, code_at(secret, now - timedelta(seconds=60)))
    assert not twofactor.verify_totp(alice, code_at(secret, now + timedelta(seconds=60)))
    assert twofactor.verify_totp(alice, code_at(secret, now - timedelta(seconds=30)))
    assert twofactor.verify_totp(alice, code_at(secret, now + timedelta(seconds=30)))


def test_a_code_cannot_be_used_twice_nor_an_earlier_one_after_it(alice, clock):
    secret, _codes = enrol(alice)
    clock.shift(timedelta(seconds=30))
    now = START + timedelta(seconds=30)
    code = code_at(secret, now)
    assert twofactor.verify_totp(alice, code)
    assert not twofactor.verify_totp(alice, code)
    # the previous step is within drift, but older than the one just used
    assert not twofactor.verify_totp(alice, code_at(secret, now - timedelta(seconds=30)))
    device = TotpDevice.objects.get(user=alice)
    assert device.last_used_step == int(now.timestamp()) // 30


def test_recovery_codes_are_single_use_and_forgiving_in_format(alice, clock):
    _secret, codes = enrol(alice)
    assert twofactor.verify_code(alice, "  " + codes[0].upper().replace("-", " ") + " ") == (
        "recovery"
    )
    assert twofactor.verify_code(alice, codes[0]) is None
    assert twofactor.recovery_codes_left(alice) == 9
    assert AccountEvent.objects.filter(user=alice, kind="recovery_code_used").count() == 1


# --- the sign-in flow ---


def test_the_password_alone_does_not_sign_in_an_account_with_a_second_factor(alice, clock):
    secret, _codes = enrol(alice)
    client = Client()

    # when Alice enters her password
    answer = password_step(client, alice, next="/agent/chat/")

    # then she is asked for the second factor, and is not signed in yet
    assert answer.status_code == 302
    assert answer["Location"] == "/signin/verify"
    assert not is_signed_in(client)
    page = client.get("/signin/verify")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()

    # when she enters the next code of her app
    clock.shift(timedelta(seconds=30))
    done = client.post("/signin/verify", {"code": code_at(secret, START + timedelta(seconds=30))})

    # then she is signed in and goes where she was going
    assert done.status_code == 302
    assert done["Location"] == "/agent/chat/"
    assert is_signed_in(client)


def test_a_recovery_code_signs_in_once(alice, clock):
    _secret, codes = enrol(alice)
    first = Client()
    password_step(first, alice)
    assert first.post("/signin/verify", {"code": codes[3]}).status_code == 302
    assert is_signed_in(first)
    second = Client()
    password_step(second, alice)
    refused = second.post("/signin/verify", {"code": codes[3]})
    assert refused.status_code == 400
    assert not is_signed_in(second)


def test_wrong_codes_count_against_the_sign_in_limit(alice, clock, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 3
    secret, _codes = enrol(alice)
    client = Client()
    password_step(client, alice)  # one attempt of the minute's three
    statuses = [client.post("/signin/verify", {"code": "000000"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    # even the right code waits now
    right = client.post("/signin/verify", {"code": code_at(secret, START)})
    assert right.status_code == 429
    assert not is_signed_in(client)


def test_the_pending_sign_in_expires_after_five_minutes(alice, clock):
    secret, _codes = enrol(alice)
    client = Client()
    password_step(client, alice)
    clock.shift(timedelta(minutes=5, seconds=1))
    later = START + timedelta(minutes=5, seconds=1)
    answer = client.post("/signin/verify", {"code": code_at(secret, later)})
    assert answer.status_code == 302
    assert answer["Location"] == "/signin"
    assert not is_signed_in(client)
    assert client.get("/signin/verify")["Location"] == "/signin"


def test_the_second_step_without_a_password_first_goes_back_to_sign_in(alice, clock):
    enrol(alice)
    answer = Client().post("/signin/verify", {"code": "123456"})
    assert answer.status_code == 302
    assert answer["Location"] == "/signin"


def test_a_signin_link_also_asks_for_the_second_factor(alice, clock):
    from opora.portal.signin_links import make_token

    enrol(alice)
    client = Client()
    answer = client.post(f"/signin/link/{make_token(alice)}")
    assert answer["Location"] == "/signin/verify"
    assert not is_signed_in(client)


def test_an_account_without_a_second_factor_signs_in_with_the_password(alice):
    client = Client()
    answer = password_step(client, alice)
    assert answer.status_code == 302
    assert answer["Location"] == "/agent/"
    assert is_signed_in(client)


# --- required by role ---


def test_an_agent_whose_role_requires_it_is_sent_to_enrol_before_anything(ada, alice, dana):
    # given admins require a second factor for agents
    admin = signed_in_client(ada)
    saved = admin.post("/agent/security-settings", {"agents_required": "on"})
    assert saved.status_code == 302
    assert twofactor.two_factor_policy().agents_required
    assert not twofactor.two_factor_policy().admins_required

    # when Alice signs in with her password
    client = Client()
    answer = password_step(client, alice)

    # then she is sent to set up a second factor, and every workspace page sends her there
    assert answer["Location"] == "/agent/profile/security"
    for path in ("/agent/", "/agent/chat/", "/agent/customers/1"):
        assert client.get(path)["Location"] == "/agent/profile/security"
    page = client.get("/agent/profile/security")
    assert page.status_code == 200
    assert b"data-enrol-required" in page.content

    # until she has set one up
    secret = twofactor.start_totp_enrolment(alice).secret
    with time_machine.travel(START, tick=False):
        client.post("/agent/profile/security/totp/confirm", {"code": code_at(secret, START)})
    assert client.get("/agent/").status_code == 200

    # admins were not required, and customers never are
    assert signed_in_client(ada).get("/agent/").status_code == 200
    assert password_step(Client(), dana)["Location"] == "/portal/"


def test_only_admins_change_the_policy(alice, ada, api):
    page_client, api_client = signed_in_client(alice), api(alice).client
    with nothing_written():
        assert page_client.get("/agent/security-settings").status_code == 404
        assert (
            page_client.post("/agent/security-settings", {"agents_required": "on"}).status_code
            == 404
        )
        refused = api_client.put(
            "/api/v1/security/two-factor-policy",
            {"agents_required": True, "admins_required": True},
            content_type="application/json",
        )
    assert refused.status_code == 403
    assert refused.json()["code"] == "admins_only"
    answer = api(ada).client.put(
        "/api/v1/security/two-factor-policy",
        {"agents_required": False, "admins_required": True},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert answer.json() == {"agents_required": False, "admins_required": True}
    assert api(ada).get("/security/two-factor-policy").json()["admins_required"] is True


# --- API tokens ---


def test_an_api_token_needs_a_code_from_an_account_with_a_second_factor(alice, api, clock):
    secret, codes = enrol(alice)
    anonymous = api(None)

    # without otp: 401 with a clear code, and no token written
    with nothing_written():
        missing = anonymous.post("/auth/token", {"email": alice.email, "password": PASSWORD})
    assert missing.status_code == 401
    assert missing.json()["code"] == "second_factor_required"

    # a wrong one: 401 too
    with nothing_written():
        wrong = anonymous.post(
            "/auth/token", {"email": alice.email, "password": PASSWORD, "otp": "000000"}
        )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "bad_second_factor"

    # a current code or a recovery code: a token
    clock.shift(timedelta(seconds=30))
    otp = code_at(secret, START + timedelta(seconds=30))
    issued = anonymous.post("/auth/token", {"email": alice.email, "password": PASSWORD, "otp": otp})
    assert issued.status_code == 201
    by_recovery = anonymous.post(
        "/auth/token", {"email": alice.email, "password": PASSWORD, "otp": codes[0]}
    )
    assert by_recovery.status_code == 201
    status = api(alice).get("/me/two-factor").json()
    assert status["totp"] is True
    assert status["recovery_codes_left"] == 9


def test_an_api_token_without_a_second_factor_needs_no_otp(bob, api):
    issued = api(None).post("/auth/token", {"email": bob.email, "password": PASSWORD})
    assert issued.status_code == 201


def test_a_security_key_answer_that_does_not_verify_signs_nobody_in(bob):
    # given Bob with a registered key (its public key is of no use to a forger)
    from opora.accounts.models import SecurityKey

    SecurityKey.objects.create(
        user=bob, name="YubiKey", credential_id="AAECAwQ", public_key=b"\x00" * 77
    )
    client = Client()
    assert password_step(client, bob)["Location"] == "/signin/verify"
    assert b"data-use-key" in client.get("/signin/verify").content

    # the options name his key and carry a fresh challenge
    options = client.post("/signin/verify/key-options").json()
    assert [c["id"] for c in options["allowCredentials"]] == ["AAECAwQ"]
    assert options["challenge"]

    # when a made-up answer comes back
    forged = {
        "id": "AAECAwQ",
        "rawId": "AAECAwQ",
        "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"},
    }
    answer = client.post("/signin/verify/key", forged, content_type="application/json")

    # then it is refused and Bob is not signed in
    assert answer.status_code == 400
    assert "not accepted" in answer.json()["error"]
    assert not is_signed_in(client)
    assert SecurityKey.objects.get(user=bob).last_used_at is None
