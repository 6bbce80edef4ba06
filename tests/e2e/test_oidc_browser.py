"""Single sign-on in a real browser: the button on the sign-in page, the provider's own
login form (tests/oidc_provider, in its own process), and back in the workspace as a
new agent. Then the admins' group mapping page on a phone, in Russian."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import SignInSession, SsoGroupMapping, User
from tests.accounts import oidc_flow
from tests.oidc_provider.server import RunningProvider

pytestmark = pytest.mark.e2e

oidc_provider = oidc_flow.oidc_provider


@pytest.fixture
def desk_sso(settings, live_server, oidc_provider: RunningProvider) -> RunningProvider:
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = oidc_provider.client_id
    settings.OIDC_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_NAME = "Company SSO"
    settings.BASE_URL = live_server.url
    return oidc_provider


def _widest_right_edge(page: Page) -> int:
    return int(
        page.evaluate(
            "Math.max(document.documentElement.scrollWidth, ...Array.from("
            "document.querySelectorAll('main, main *'))"
            ".map(e => e.getBoundingClientRect().right))"
        )
    )


def test_an_agent_signs_in_with_the_company_provider(open_session, desk_sso, support):
    # given the help desk's group at the provider gives the 2nd line in Support
    mapping = SsoGroupMapping.objects.create(group="helpdesk-l2", role="agent", support_line=2)
    mapping.teams.set([support])
    desk = open_session("en-US")
    page = desk.page

    # when Anna clicks the button and logs in on the provider's own form
    desk.go("/signin")
    page.get_by_role("link", name="Sign in with Company SSO").click()
    page.wait_for_load_state()
    assert page.url.startswith(desk_sso.issuer.rsplit("/o", 1)[0] + "/accounts/login/")
    form = page.locator("form[data-provider-login]")
    form.locator("input[name=username]").fill("anna")
    form.locator("input[name=password]").fill(desk_sso.password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    # then she is in the workspace, as a new agent of Support
    expect(page).to_have_url(desk.base_url + "/agent/")
    anna = User.objects.get(email="anna@corp.test")
    assert anna.role == "agent"
    assert list(anna.teams.values_list("name", flat=True)) == ["Support"]
    # and her Security page lists this browser as signed in by single sign-on
    desk.go("/agent/profile/security")
    expect(page.locator("[data-signin-method=sso]")).to_have_count(1)
    assert SignInSession.objects.get(user=anna).method == "sso"


def test_someone_without_a_mapped_group_sees_why_they_are_refused(open_session, desk_sso):
    desk = open_session("ru-RU")
    page = desk.page
    page.set_viewport_size({"width": 390, "height": 844})

    desk.go("/signin")
    page.locator("[data-sso-start]").click()
    page.wait_for_load_state()
    page.locator("input[name=username]").fill("sam")
    page.locator("input[name=password]").fill(desk_sso.password)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()

    expect(page.locator("[data-sso-refused]")).to_contain_text("нет доступа к службе поддержки")
    assert _widest_right_edge(page) <= 390
    assert not User.objects.filter(email="sam@corp.test").exists()
    desk.screenshot("sso-refused-ru")


def test_an_admin_maps_a_group_on_a_phone_in_russian(open_session, ada, support):
    ada.language = "ru"
    ada.save(update_fields=["language"])
    phone = open_session("ru-RU")
    page = phone.page
    page.set_viewport_size({"width": 390, "height": 844})
    phone.sign_in(ada.email)

    phone.go("/agent/sso")
    expect(page.locator("h1")).to_have_text("Единый вход")
    form = page.locator("form[data-mapping-form]")
    form.locator("input[name=group]").fill("helpdesk-l1")
    form.locator("select[name=role]").select_option("agent")
    form.locator("select[name=support_line]").select_option("1")
    form.get_by_label("Support").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    expect(page.locator("[data-mapping=helpdesk-l1]")).to_contain_text("Support")
    assert _widest_right_edge(page) <= 390
    phone.screenshot("sso-settings-ru")
    mapping = SsoGroupMapping.objects.get(group="helpdesk-l1")
    assert list(mapping.teams.all()) == [support]
