"""The acceptance flows of the workspace and the portal, in a real browser."""

# ruff: noqa: RUF001

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from opora.accounts.actions import set_user_language
from opora.sla.models import BusinessCalendar, SlaPolicy
from opora.tickets.models import Ticket

pytestmark = pytest.mark.e2e

REPLY = "Please restart the print spooler; it should work again."
NOTE = "Customer runs an old driver, check with hardware team."


def _submit_request(customer, subject: str) -> None:
    page = customer.page
    customer.go("/portal/new")
    page.fill("input[name=subject]", subject)
    page.fill("textarea[name=body]", "Nothing comes out of the printer since this morning.")
    page.select_option("select[name=type]", "problem")
    page.select_option("select[name=priority]", "high")
    page.set_input_files(
        "input[name=attachments]",
        files=[{"name": "printer-log.txt", "mimeType": "text/plain", "buffer": b"E42 jam\n"}],
    )


def _agent_takes_and_answers(agent, subject: str) -> None:
    page = agent.page
    agent.go("/agent/?view=unassigned")
    row = page.locator(".ticket-row", has_text=subject)
    expect(row).to_be_visible()
    row.locator("a.subject").click()
    expect(page.locator(".ticket-head h1")).to_contain_text(subject)
    expect(page.locator(".files a", has_text="printer-log.txt")).to_be_visible()
    page.locator("[data-take]").click()
    expect(page.locator("[data-take]")).to_have_count(0)
    # Reply with the keyboard: r focuses the composer, Ctrl+Enter sends.
    page.keyboard.press("r")
    page.keyboard.type(REPLY)
    page.keyboard.press("Control+Enter")
    expect(page.locator(".msg-agent .msg-body", has_text=REPLY)).to_be_visible()
    page.locator("#composer input[name=kind][value=note]").check()
    page.fill("#composer-body", NOTE)
    page.locator("#composer [data-submit]").click()
    expect(page.locator(".msg-note .msg-body", has_text=NOTE)).to_be_visible()


def _background_work(make_ticket, requester, bob):
    """A few other tickets, so the queue looks like a working day."""
    make_ticket(
        requester,
        subject="VPN drops every 10 minutes",
        priority="urgent",
        type="incident",
        tags=["vpn"],
        by=bob,
    )
    make_ticket(
        requester,
        subject="Invoice for October is missing",
        priority="low",
        tags=["billing"],
        by=bob,
    )
    make_ticket(requester, subject="How do I add a colleague to our account?", by=bob)


def test_customer_request_is_answered_and_solved(
    open_session, alice, bob, dana, dave, support, make_ticket
):
    # given: Dana in the portal and Alice in the workspace, with other work waiting,
    # under a round-the-clock SLA
    _background_work(make_ticket, dave, bob)
    SlaPolicy.objects.create(
        name="Round the clock",
        calendar=BusinessCalendar.objects.create(name="24/7", always_open=True),
        first_response_minutes=60,
        resolution_minutes=480,
    )
    customer = open_session("en-US")
    customer.sign_in(dana.email)
    agent = open_session("en-US")
    agent.sign_in(alice.email)
    subject = "Printer in room 4 is silent"

    # when: Dana sends a request with an attachment
    _submit_request(customer, subject)
    customer.screenshot("portal-request-form")
    customer.page.get_by_role("button", name="Send request").click()
    expect(customer.page.locator("h1")).to_contain_text(subject)

    # and Alice finds it among the unassigned, takes it, replies and writes a note
    agent.go("/agent/?view=unassigned")
    expect(agent.page.locator(".views a.on")).to_contain_text("Unassigned")
    agent.screenshot("agent-queue")
    _agent_takes_and_answers(agent, subject)
    # the SLA card counts down to the resolution due time, second by second
    expect(agent.page.locator(".sla .sla-state")).to_have_text("On track")
    expect(agent.page.locator(".sla [data-countdown]").last).to_have_text(
        re.compile(r"^0[67]:\d\d:\d\d$")
    )
    agent.screenshot("agent-ticket")

    # then: Dana reads the reply but not the note, and marks the request solved
    customer.page.reload()
    expect(customer.page.locator(".msg-body", has_text=REPLY)).to_be_visible()
    expect(customer.page.get_by_text(NOTE)).to_have_count(0)
    customer.page.get_by_role("button", name=re.compile("My problem is solved")).click()
    expect(customer.page.locator(".page-head .badge")).to_have_text("Solved")
    customer.screenshot("portal-request")
    ticket = Ticket.objects.get(subject=subject)
    assert ticket.status == "solved"
    assert ticket.assignee_id == alice.pk


def test_the_same_flow_in_russian(open_session, alice, support, acme):
    # given: a Russian browser signing up, and an agent whose language is Russian
    set_user_language(alice, "ru")
    customer = open_session("ru-RU")
    customer.go("/signup")
    expect(customer.page.locator("h1")).to_have_text("Регистрация")
    customer.page.fill("input[name=name]", "Дарья")
    customer.page.fill("input[name=email]", "daria@acme.test")
    customer.page.fill("input[name=password]", "printer-на-складе-7")
    customer.page.locator("form[action='/signup'] button[type=submit]").click()
    expect(customer.page.locator("h1")).to_have_text("Мои заявки")
    agent = open_session("en-US")
    agent.sign_in(alice.email)
    subject = "Не печатает принтер"

    # when: the same flow runs
    _submit_request(customer, subject)
    expect(customer.page.locator("h1")).to_have_text("Чем мы можем помочь?")
    customer.screenshot("portal-request-form-ru")
    customer.page.get_by_role("button", name="Отправить заявку").click()
    expect(customer.page.locator("h1")).to_contain_text(subject)
    agent.go("/agent/?view=unassigned")
    expect(agent.page.locator(".views a.on")).to_contain_text("Без исполнителя")
    expect(agent.page.locator("[data-help-open]")).to_be_visible()
    _agent_takes_and_answers(agent, subject)
    expect(agent.page.locator(".msg-note .badge-note")).to_have_text("Внутренняя заметка")
    agent.screenshot("agent-ticket-ru")

    # then: the customer's page speaks Russian too
    customer.page.reload()
    expect(customer.page.locator(".msg-body", has_text=REPLY)).to_be_visible()
    expect(customer.page.get_by_text(NOTE)).to_have_count(0)
    customer.page.get_by_role("button", name=re.compile("Моя проблема решена")).click()
    expect(customer.page.locator(".page-head .badge")).to_have_text("Решён")
    customer.screenshot("portal-request-ru")


def test_bulk_assign_three_tickets(open_session, alice, bob, dana, make_ticket):
    # given: three unassigned tickets of the Support team
    tickets = [make_ticket(dana, subject=f"Bulk case {i}") for i in range(3)]
    agent = open_session("en-US")
    agent.sign_in(alice.email)
    agent.go("/agent/?view=unassigned")

    # when: Alice selects them (the keyboard for one) and assigns them to Bob
    page = agent.page
    page.keyboard.press("j")
    page.keyboard.press("x")
    for ticket in tickets:
        box = page.locator(f"input[name=ticket][value='{ticket.number}']")
        if not box.is_checked():
            box.check()
    expect(page.locator("[data-selected-count]")).to_have_text("3")
    page.select_option("select[name=value_assign]", str(bob.pk))
    page.get_by_role("button", name="Assign", exact=True).click()

    # then: all three are Bob's and the page says so
    expect(page.locator(".flash-success")).to_contain_text("3 tickets updated")
    assert Ticket.objects.filter(assignee=bob).count() == 3
    agent.go("/agent/?view=open")
    for ticket in tickets:
        row = page.locator(f".ticket-row[data-number='{ticket.number}']")
        expect(row.locator(".c-person")).to_have_text("Bob")


def test_customer_cannot_open_someone_elses_request(open_session, charlie, dana, make_ticket):
    # given: a request of Dana's
    ticket = make_ticket(dana, subject="Dana's private matter")
    outsider = open_session("en-US")
    outsider.sign_in(charlie.email)

    # when: Charlie opens its address
    response = outsider.go(f"/portal/requests/{ticket.number}")

    # then: a 404 page, with nothing of Dana's on it
    assert response.status == 404
    expect(outsider.page.locator("h1")).to_have_text("Page not found")
    expect(outsider.page.get_by_text("Dana's private matter")).to_have_count(0)
