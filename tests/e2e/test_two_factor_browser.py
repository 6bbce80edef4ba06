"""Two-factor sign-in in a real browser: an authenticator app set up on a phone-sized
page in Russian and used to sign in, and a security key (Chromium's virtual
authenticator) registered and used to sign in."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import SecurityKey

pytestmark = pytest.mark.e2e


def _widest_right_edge(page: Page) -> int:
    return int(
        page.evaluate(
            "Math.max(document.documentElement.scrollWidth, ...Array.from("
            "document.querySelectorAll('main, main *'))"
            ".map(e => e.getBoundingClientRect().right))"
        )
    )


def _sign_out(page: Page) -> None:
    page.locator("form[action='/signout'] button").click()
    page.wait_for_load_state()


def test_an_agent_sets_up_an_authenticator_app_and_signs_in_with_it(open_session, alice):
    # given Alice, who reads Russian, on a phone
    alice.language = "ru"
    alice.save(update_fields=["language"])
    phone = open_session("ru-RU")
    page = phone.page
    page.set_viewport_size({"width": 390, "height": 844})
    phone.sign_in(alice.email)

    # when she sets up an authenticator app from her Security page, with the keyboard
    phone.go("/agent/profile/security")
    expect(page.locator("h1")).to_have_text("Безопасность")
    page.locator("[data-totp-start]").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("[data-qr] svg")).to_be_visible()
    secret = page.locator("[data-secret]").inner_text().strip()
    code = page.locator("[data-totp-confirm] input[name=code]")
    code.fill(pyotp.TOTP(secret).now())
    code.press("Enter")
    page.wait_for_load_state()

    # then it is on and her ten recovery codes are shown once
    expect(page.locator("[data-totp-on]")).to_have_text("Включено")
    expect(page.locator("[data-recovery-codes] [data-code]")).to_have_count(10)
    assert _widest_right_edge(page) <= 390
    phone.screenshot("two-factor-ru")

    # when she signs out and in again, her password alone is not enough
    _sign_out(page)
    phone.sign_in(alice.email)
    expect(page).to_have_url(phone.base_url + "/signin/verify")
    expect(page.locator("h1")).to_have_text("Подтвердите, что это вы")
    # the code of the next step: within the allowed drift, and not the one just used
    field = page.locator("[data-code-form] input[name=code]")
    field.fill(pyotp.TOTP(secret).at(time.time() + 30))
    field.press("Enter")
    page.wait_for_load_state()

    # then she is in her workspace
    expect(page).to_have_url(phone.base_url + "/agent/")


def test_an_agent_registers_a_security_key_and_signs_in_with_it(open_session, bob):
    # given Bob's browser with a security key plugged in (Chromium's virtual authenticator)
    desk = open_session("en-US")
    page = desk.page
    cdp = desk.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    desk.sign_in(bob.email)

    # when he adds the key on his Security page
    desk.go("/agent/profile/security")
    form = page.locator("[data-webauthn-register]")
    form.locator("input[name=name]").fill("YubiKey")
    form.locator("button[type=submit]").click()

    # then it is listed
    expect(page.locator("[data-keys] [data-key]")).to_contain_text("YubiKey")
    assert SecurityKey.objects.filter(user=bob, name="YubiKey").exists()

    # when he signs in again, the key is asked for and accepted
    _sign_out(page)
    desk.sign_in(bob.email)
    expect(page).to_have_url(desk.base_url + "/signin/verify")
    page.locator("[data-use-key]").click()
    expect(page).to_have_url(desk.base_url + "/agent/")
    key = SecurityKey.objects.get(user=bob)
    assert key.last_used_at is not None
