"""Single sign-on against a real OpenID provider (tests/oidc_provider, django-oauth-toolkit
in its own process): accounts made just in time from groups and used again, staff
linked by a verified address, every kind of bad answer refused with nothing written,
customers kept out, the provider's second factor, the sessions list, the rate limit."""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client

from opora.accounts import twofactor
from opora.accounts.models import (
    AccountEvent,
    Identity,
    IdentityKind,
    SignInSession,
    SsoGroupMapping,
    Team,
    User,
)
from tests.accounts import oidc_flow
from tests.writes import nothing_written

# The fixtures of oidc_flow, used here.
oidc_provider = oidc_flow.oidc_provider
sso = oidc_flow.sso
mapped = oidc_flow.mapped


def is_signed_in_as(client: Client, user: User) -> bool:
    answer = client.get("/agent/")
    return answer.status_code == 200 and answer.wsgi_request.user.pk == user.pk


# --- configuration ---


def test_without_configuration_there_is_no_button_and_the_urls_are_not_found(db, settings):
    settings.OIDC_ISSUER = ""
    settings.OIDC_CLIENT_ID = ""
    client = Client()

    assert b"data-sso-start" not in client.get("/signin").content
    assert client.get("/signin/oidc").status_code == 404
    assert client.get("/signin/oidc/callback?code=x&state=y").status_code == 404


def test_the_sign_in_page_offers_the_provider_by_its_name(sso):
    page = Client().get("/signin").content.decode()

    assert "Sign in with Company SSO" in page
    assert 'href="/signin/oidc"' in page


def test_the_button_is_in_russian_for_russian_visitors(sso):
    page = Client(headers={"accept-language": "ru"}).get("/signin").content.decode()

    assert "Войти через Company SSO" in page


# --- the first and later sign-ins ---


def test_a_first_sign_in_creates_an_agent_with_the_mapped_role_line_and_teams(
    sso, mapped, support: Team, billing: Team
):
    client = Client()

    answer = oidc_flow.sign_in(client, sso, "anna")

    assert answer.status_code == 302
    assert answer["Location"] == "/agent/"
    anna = User.objects.get(email="anna@corp.test")
    assert (anna.role, anna.support_line, anna.name) == ("agent", 2, "Anna")
    assert set(anna.teams.all()) == {support, billing}
    assert not anna.has_usable_password()
    identity = Identity.objects.get(user=anna, kind=IdentityKind.OIDC)
    assert identity.value.startswith(sso.issuer + " ")
    assert is_signed_in_as(client, anna)
    assert AccountEvent.objects.filter(user=anna, kind="sso_created").exists()


def test_a_second_sign_in_uses_the_same_account(sso, mapped):
    oidc_flow.sign_in(Client(), sso, "anna")
    anna = User.objects.get(email="anna@corp.test")
    users = User.objects.count()

    again = Client()
    answer = oidc_flow.sign_in(again, sso, "anna")

    assert answer.status_code == 302
    assert User.objects.count() == users
    assert Identity.objects.filter(kind=IdentityKind.OIDC).count() == 1
    assert is_signed_in_as(again, anna)


def test_each_sign_in_syncs_the_line_and_the_teams_from_the_groups(
    sso, mapped, ada, support: Team, billing: Team
):
    oidc_flow.sign_in(Client(), sso, "anna")
    anna = User.objects.get(email="anna@corp.test")
    # an admin adds her by hand to a team no mapping names: the groups decide
    night = Team.objects.create(name="Night shift")
    night.members.add(anna)
    # and the billing group now gives the 3rd line instead of the Billing team
    mapped["billing"].teams.set([])
    SsoGroupMapping.objects.filter(pk=mapped["billing"].pk).update(support_line=3)

    oidc_flow.sign_in(Client(), sso, "anna")

    anna.refresh_from_db()
    assert anna.support_line == 3
    assert set(anna.teams.all()) == {support}
    assert AccountEvent.objects.filter(user=anna, kind="sso_synced").exists()


def test_an_existing_agent_is_linked_by_a_verified_address_and_found_by_identity_later(
    sso, mapped, alice, support: Team
):
    client = Client()

    answer = oidc_flow.sign_in(client, sso, "alice")

    assert answer.status_code == 302
    assert is_signed_in_as(client, alice)
    assert Identity.objects.filter(user=alice, kind=IdentityKind.OIDC).exists()
    alice.refresh_from_db()
    assert alice.support_line == 2
    assert support in alice.teams.all()
    assert AccountEvent.objects.filter(user=alice, kind="sso_linked").exists()


def test_an_unverified_address_of_an_existing_agent_is_refused(sso, mapped, alice):
    client = Client()
    callback = oidc_flow.callback_path(oidc_flow.provider_redirect(client, sso, "eve"))

    with nothing_written(alice):
        answer = client.get(callback)

    assert answer.status_code == 403
    assert "does not say the address is verified" in answer.content.decode()


# --- refusals ---


def test_a_person_in_no_mapped_group_is_refused_and_nothing_is_written(sso, mapped):
    client = Client()
    callback = oidc_flow.callback_path(oidc_flow.provider_redirect(client, sso, "sam"))

    with nothing_written():
        answer = client.get(callback)

    assert answer.status_code == 403
    page = answer.content.decode()
    assert "Your account has no access to the help desk. Ask your administrator." in page
    assert not User.objects.filter(email="sam@corp.test").exists()
    assert client.get("/agent/").status_code == 302  # not signed in


def test_the_refusal_page_speaks_russian(sso, mapped):
    client = Client(headers={"accept-language": "ru"})
    callback = oidc_flow.callback_path(oidc_flow.provider_redirect(client, sso, "sam"))

    answer = client.get(callback)

    assert "нет доступа к службе поддержки" in answer.content.decode()


def test_an_agent_removed_from_every_mapped_group_is_refused_and_left_as_is(
    sso, mapped, alice, support
):
    oidc_flow.sign_in(Client(), sso, "alice")
    SsoGroupMapping.objects.filter(group="helpdesk-l2").delete()
    alice.refresh_from_db()
    client = Client()
    callback = oidc_flow.callback_path(oidc_flow.provider_redirect(client, sso, "alice"))

    with nothing_written(alice):
        answer = client.get(callback)

    assert answer.status_code == 403
    assert alice.is_active
    assert client.get("/agent/").status_code == 302


def test_a_customer_address_is_refused_and_the_customer_stays_a_customer(sso, mapped, dana):
    client = Client()
    callback = oidc_flow.callback_path(oidc_flow.provider_redirect(client, sso, "dana"))

    with nothing_written(dana):
        answer = client.get(callback)

    assert answer.status_code == 403
    assert "belongs to a customer account" in answer.content.decode()
    dana.refresh_from_db()
    assert dana.role == "customer"


def test_a_wrong_state_is_refused(sso, mapped):
    client = Client()
    redirect = oidc_flow.provider_redirect(client, sso, "anna")

    with nothing_written():
        answer = client.get(oidc_flow.callback_path(redirect, state="forged-state"))

    assert answer.status_code == 400
    assert "did not succeed" in answer.content.decode()
    assert not User.objects.filter(email="anna@corp.test").exists()


def test_a_callback_in_another_browser_than_the_one_that_started_is_refused(sso, mapped):
    # The state lives in the session of the browser that started: a link sent to
    # someone else (login CSRF) finds none.
    redirect = oidc_flow.provider_redirect(Client(), sso, "anna")

    with nothing_written():
        answer = Client().get(oidc_flow.callback_path(redirect))

    assert answer.status_code == 400


def test_a_state_is_spent_by_its_first_use(sso, mapped):
    client = Client()
    redirect = oidc_flow.provider_redirect(client, sso, "anna")
    assert client.get(oidc_flow.callback_path(redirect)).status_code == 302
    client.post("/signout")

    assert client.get(oidc_flow.callback_path(redirect)).status_code == 400


@pytest.mark.parametrize(
    "username",
    [
        pytest.param("nina", id="a nonce other than the one asked for"),
        pytest.param("otis", id="a token for another client"),
        pytest.param("old", id="an expired token"),
        pytest.param("mallory", id="claims changed after signing"),
    ],
)
def test_an_id_token_that_fails_its_checks_is_refused(sso, mapped, username):
    client = Client()
    callback = oidc_flow.callback_path(oidc_flow.provider_redirect(client, sso, username))

    with nothing_written():
        answer = client.get(callback)

    assert answer.status_code == 400
    assert client.get("/agent/").status_code == 302
    assert not Identity.objects.filter(kind=IdentityKind.OIDC).exists()


def test_an_error_from_the_provider_is_refused(sso, mapped):
    client = Client()
    oidc_flow.start(client)

    with nothing_written():
        answer = client.get("/signin/oidc/callback?error=access_denied&state=x")

    assert answer.status_code == 400


def test_failed_callbacks_are_rate_limited(sso, mapped, settings):
    settings.AUTH_RATE_LIMIT_PER_MINUTE = 2
    client = Client()
    statuses = [
        client.get(f"/signin/oidc/callback?code=guess&state=guess-{i}").status_code
        for i in range(7)
    ]

    assert statuses[:6] == [400] * 6
    assert statuses[6] == 429


# --- the second factor ---


def test_the_providers_second_factor_meets_the_policy(sso, mapped, ada):
    twofactor.set_two_factor_policy(agents_required=True, admins_required=True, by=ada)
    client = Client()

    answer = oidc_flow.sign_in(client, sso, "igor")

    assert answer["Location"] == "/agent/"
    igor = User.objects.get(email="igor@corp.test")
    assert igor.role == "admin"
    # not sent to set up a second factor of Opora's on any page
    assert client.get("/agent/").status_code == 200
    session = SignInSession.objects.get(user=igor)
    assert (session.method, session.provider_mfa) == ("sso", True)


def test_without_the_providers_second_factor_the_policy_asks_for_opora_s(sso, mapped, ada):
    twofactor.set_two_factor_policy(agents_required=True, admins_required=False, by=ada)
    client = Client()

    answer = oidc_flow.sign_in(client, sso, "anna")

    assert answer["Location"] == "/agent/profile/security"
    assert client.get("/agent/")["Location"] == "/agent/profile/security"


def test_an_agent_with_a_second_factor_is_asked_for_it_after_the_provider(sso, mapped, alice):
    secret = twofactor.start_totp_enrolment(alice).secret
    from django.utils import timezone

    twofactor.confirm_totp(alice, pyotp.TOTP(secret).at(timezone.now()))
    client = Client()

    answer = oidc_flow.sign_in(client, sso, "alice")

    assert answer["Location"] == "/signin/verify"
    assert client.get("/agent/").status_code == 302  # not in yet
    code = pyotp.TOTP(secret).at(timezone.now().timestamp() + 30)
    assert client.post("/signin/verify", {"code": code})["Location"] == "/agent/"
    assert SignInSession.objects.get(user=alice).method == "sso"


# --- the sessions list ---


def test_the_sessions_list_shows_how_each_browser_signed_in(sso, mapped, alice):
    from tests.conftest import PASSWORD

    by_password = Client()
    by_password.post("/signin", {"email": alice.email, "password": PASSWORD})
    by_provider = Client()
    oidc_flow.sign_in(by_provider, sso, "alice")

    page = by_provider.get("/agent/profile/security").content.decode()

    assert page.count("data-signin-method") == 2
    assert "single sign-on" in page
    assert "password" in page
