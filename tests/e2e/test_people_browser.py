"""The console's people screens in a real browser: an admin adds an agent with a cost
rate and the cost KPI moves once that agent logs time; an invitation is accepted in a
second browser; every screen in English and Russian fits a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail as djmail
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import Organization, Team, User
from opora.tickets import actions as tickets
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def cost_tile(page: Page) -> str:
    return page.locator("[data-kpi=cost] .v").inner_text().strip()


def test_an_agent_with_a_cost_rate_moves_the_cost_kpi(
    open_session: Any, ada: User, support: Team, dana: User, make_ticket: Any
) -> None:
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page
    admin.go("/reports/")
    before = cost_tile(page)
    assert before in ("0.00", "—", "0")

    # the admin adds Gina, line 2, in Support, at 1,200 an hour
    admin.go("/admin/people/agents/")
    page.locator("[data-new-agent]").click()
    form = page.locator("[data-agent-form]")
    form.locator("input[name=name]").fill("Gina")
    form.locator("input[name=email]").fill("gina@desk.test")
    form.locator("select[name=support_line]").select_option("2")
    form.get_by_role("checkbox", name="Support").check()
    form.locator("input[name=skills]").fill("printers, billing")
    form.locator("input[name=cost_per_hour]").fill("1200")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/people/agents/\d+/$"))
    gina = User.objects.get(email="gina@desk.test")
    assert gina.cost_per_hour == 1200 and gina.skills == ["printers", "billing"]

    # she has a solved ticket (her password set here: she would take an invitation)
    gina.set_password(PASSWORD)
    gina.save()
    ticket = make_ticket(dana, by=gina, subject="Printer jam")
    tickets.add_message(ticket, by=gina, body="Cleared the jam.")
    tickets.update_ticket(ticket, tickets.TicketChanges(status="solved"), by=gina)

    # and logs half an hour on it in her own browser
    agent = open_session("en-US")
    agent.sign_in(gina.email)
    agent.go(f"/agent/tickets/{ticket.number}")
    agent.page.fill("form[data-time-log] input[name=minutes]", "30")
    agent.page.get_by_role("button", name="Log time").click()
    expect(agent.page.locator("#ticket")).to_contain_text("30")

    # the cost KPI on the dashboard moved by 600.00
    admin.go("/reports/")
    assert cost_tile(page) == "600.00"


def test_an_invitation_is_accepted_in_a_second_browser(
    open_session: Any, ada: User, support: Team
) -> None:
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page
    admin.go("/admin/people/invitations/")
    form = page.locator("[data-invite-form]")
    form.locator("input[name=email]").fill("nina@desk.test")
    form.locator("input[name=name]").fill("Nina")
    form.get_by_role("checkbox", name="Support").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-invitation='nina@desk.test']")).to_be_visible()
    link = re.search(r"https?://\S+/invite/\S+", str(djmail.outbox[-1].body))
    assert link is not None
    path = "/invite/" + link.group(0).rsplit("/invite/", 1)[1]

    invited = open_session("en-US")
    invited.go(path)
    invited.page.locator("input[name=password1]").fill("n3w-passw0rd!")
    invited.page.locator("input[name=password2]").fill("n3w-passw0rd!")
    invited.page.locator("[data-accept-form] button[type=submit]").click()
    expect(invited.page).to_have_url(re.compile(r"/agent/$"))
    nina = User.objects.get(email="nina@desk.test")
    assert nina.role == "agent" and list(nina.teams.all()) == [support]

    # the link is spent; the admin's list no longer shows it
    again = open_session("en-US")
    again.go(path)
    expect(again.page.locator("[data-invitation-used]")).to_be_visible()
    admin.go("/admin/people/invitations/")
    expect(page.locator("[data-invitation='nina@desk.test']")).to_have_count(0)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_people_screen_fits_a_phone(
    open_session: Any,
    ada: User,
    alice: User,
    dana: User,
    acme: Organization,
    support: Team,
    lang: str,
) -> None:
    ada.language = lang
    ada.save(update_fields=["language"])
    session = open_session("ru-RU" if lang == "ru" else "en-US")
    session.sign_in(ada.email)
    page = session.page
    session.go("/admin/people/invitations/")
    page.locator("[data-invite-form] input[name=email]").fill("long.name.invited@example.test")
    page.locator("[data-invite-form] button[type=submit]").click()
    screens = {
        "agents": "/admin/people/agents/",
        "agent": f"/admin/people/agents/{alice.pk}/",
        "new-agent": "/admin/people/agents/new",
        "deactivate": f"/admin/people/agents/{alice.pk}/deactivate",
        "invitations": "/admin/people/invitations/",
        "customers": "/admin/people/customers/",
        "customer": f"/admin/people/customers/{dana.pk}/",
        "organizations": "/admin/people/organizations/",
        "organization": f"/admin/people/organizations/{acme.pk}/",
        "teams": "/admin/people/teams/",
        "team": f"/admin/people/teams/{support.pk}/",
    }
    for name, path in screens.items():
        page.set_viewport_size(DESKTOP)
        session.go(path)
        session.screenshot(f"console-people-{name}-{lang}")
        fits_a_phone(page)
        session.screenshot(f"console-people-{name}-{lang}-phone")
    page.set_viewport_size(DESKTOP)
    expired = open_session("ru-RU" if lang == "ru" else "en-US")
    expired.go("/invite/not-a-real-token")
    expect(expired.page.locator("[data-invitation-unknown]")).to_be_visible()
    fits_a_phone(expired.page)
    expired.screenshot(f"console-people-invite-unknown-{lang}-phone")
