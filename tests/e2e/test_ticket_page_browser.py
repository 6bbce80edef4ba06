"""The agent's ticket page and "New ticket" in a real browser: a phone call from a new
customer, a refused save that keeps the agent's choices, escalation, and the live
"is viewing / is typing" notice seen from a second browser; en and ru, desktop and 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import User
from opora.sla.models import TicketSla
from opora.tickets.models import Ticket
from tests.e2e.chat_server import asgi_live_server, open_chat_session

pytestmark = pytest.mark.e2e
__all__ = ["asgi_live_server", "open_chat_session"]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    # what sticks out, to say where to look when it fails
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('body *'))"
        ".filter(e => e.getBoundingClientRect().right > 391).slice(0, 8)"
        ".map(e => e.tagName + '.' + e.className)"
    )
    assert width <= 390, f"{page.url} is {width} px wide at 390 px: {wide}"


def shoot(session: Any, name: str) -> None:
    page = session.page
    page.set_viewport_size(DESKTOP)
    session.screenshot(name)
    fits_a_phone(page)
    session.screenshot(f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_a_phone_call_becomes_a_ticket_then_a_refused_save_and_an_escalation(
    open_chat_session: Any, alice: User, otto: User, lena: User, support: Any, billing: Any
) -> None:
    agent = open_chat_session("en-US")
    agent.sign_in(alice.email)
    page = agent.page

    # from the queue, "c" opens New ticket (the button says so too)
    agent.go("/agent/")
    expect(page.locator("[data-new-ticket]")).to_be_visible()
    page.keyboard.press("c")
    expect(page).to_have_url(agent.base_url + "/agent/tickets/new")
    shoot(agent, "ticket-new-en")

    # a call from someone the desk does not know yet
    page.locator('input[name="who"][value="new"]').check()
    page.fill("input[name=new_name]", "Pavel Ivanov")
    page.fill("input[name=new_phone]", "+7 912 345-67-89")
    page.select_option("select[name=channel]", "phone")
    page.fill("input[name=subject]", "Router keeps rebooting")
    page.fill("textarea[name=body]", "Called at 10:05: reboots every ten minutes.")
    page.select_option("select[name=priority]", "high")
    # the assignee list follows the team without a reload
    page.select_option("select[name=team]", str(billing.pk))
    assignees = page.locator("select[name=assignee] option")
    expect(assignees).to_have_text(["— nobody —", "Otto"])
    page.select_option("select[name=team]", str(support.pk))
    expect(page.locator("select[name=assignee] option", has_text="Otto")).to_have_count(0)
    page.select_option("select[name=assignee]", label="Lena")
    page.locator("[data-create-ticket]").click()

    # the ticket page opens with the call as its first message
    ticket = Ticket.objects.get(subject="Router keeps rebooting")
    expect(page).to_have_url(agent.base_url + f"/agent/tickets/{ticket.number}")
    expect(page.locator(".thread")).to_contain_text("reboots every ten minutes")
    assert (ticket.channel, ticket.requester.name, ticket.assignee_id) == (
        "phone",
        "Pavel Ivanov",
        lena.pk,
    )

    # a save with a status, a priority and an assignee outside the team (the team is
    # changed after the list was narrowed: the form is tampered with on purpose)
    panel = page.locator("form[data-panel]")
    panel.locator("select[name=status]").select_option("pending")
    panel.locator("select[name=priority]").select_option("urgent")
    page.evaluate(
        """(id) => { const s = document.querySelector('form[data-panel] select[name=assignee]');
        const o = document.createElement('option'); o.value = id; o.textContent = 'Otto';
        s.appendChild(o); s.value = id; }""",
        str(otto.pk),
    )
    panel.locator("button[type=submit]").last.click()
    error = page.locator('[data-error-for="assignee"]')
    expect(error).to_contain_text("not a member")
    expect(page.locator("form[data-panel] select[name=status]")).to_have_value("pending")
    expect(page.locator("form[data-panel] select[name=priority]")).to_have_value("urgent")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("new", 3)
    shoot(agent, "ticket-refused-save-en")

    # escalate to line 3 with a reason
    card = page.locator("[data-escalation]")
    card.locator("select[name=to]").select_option("3")
    card.locator("input[name=reason]").fill("Needs a network engineer")
    card.locator("[data-escalate]").click()
    expect(page.locator("[data-escalation] [data-level]")).to_have_text("Line 3")
    assert TicketSla.objects.get(ticket=ticket).level == "3"
    shoot(agent, "ticket-page-en")


def test_a_second_agent_sees_who_is_viewing_and_typing(
    open_chat_session: Any, alice: User, bob: User, dana: User, make_ticket: Any
) -> None:
    ticket = make_ticket(dana, subject="Printer jams")
    alice_s = open_chat_session("en-US")
    alice_s.sign_in(alice.email)
    bob_s = open_chat_session("ru-RU")
    bob_s.sign_in(bob.email)
    bob_s.page.locator("button[name=language][value=ru]").click()
    bob_s.page.wait_for_load_state()

    alice_s.go(f"/agent/tickets/{ticket.number}")
    bob_s.go(f"/agent/tickets/{ticket.number}")
    # each sees the other on the ticket
    expect(bob_s.page.locator("[data-presence]")).to_have_text("Alice смотрит заявку")
    expect(alice_s.page.locator("[data-presence]")).to_have_text("Bob is viewing")
    # Alice starts a reply: Bob sees her typing
    alice_s.page.locator("#composer-body").press_sequentially("Please try")
    expect(bob_s.page.locator("[data-presence]")).to_have_text("Alice пишет ответ…")
    shoot(bob_s, "ticket-page-ru")
    # Alice closes her tab: she is gone from Bob's page
    alice_s.page.close()
    expect(bob_s.page.locator("[data-presence]")).to_be_hidden()
    bob_s.go("/agent/tickets/new")
    shoot(bob_s, "ticket-new-ru")
