# ruff: noqa: RUF001
"""Remote sessions in a real browser: an admin adds a tool in the console; an agent
invites the customer from the ticket page, marks the session started and ended, and
sees the reply, the card and the logged time; English and Russian, at 390 px too."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import User
from opora.remote import actions
from opora.remote.models import RemoteSession, RemoteTool
from opora.tickets import actions as ticket_actions
from opora.tickets.models import Channel, TimeEntry
from tests.e2e.chat_server import asgi_live_server, open_chat_session

pytestmark = pytest.mark.e2e
__all__ = ["asgi_live_server", "open_chat_session"]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


def fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
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


def test_an_admin_adds_a_tool_in_the_console(open_chat_session: Any, ada: User) -> None:
    admin = open_chat_session("en-US")
    admin.sign_in(ada.email)
    page = admin.page
    admin.go("/admin/channels/mailboxes/")
    page.get_by_role("link", name="Remote sessions").first.click()
    page.locator("[data-new-tool]").click()
    form = page.locator("[data-tool-form]")
    form.locator("input[name=name]").fill("AnyDesk")
    form.locator("select[name=kind]").select_option("link")
    form.locator("input[name=template]").fill("https://get.anydesk.com/?ticket={ticket}")
    form.locator("textarea[name=instructions_en]").fill("Run AnyDesk and tell us its number.")
    form.locator("textarea[name=instructions_ru]").fill("Запустите AnyDesk и назовите номер.")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-reports-state]")).to_be_visible()
    shoot(admin, "console-remote-tool-en")
    admin.go("/admin/channels/remote/")
    expect(page.locator("[data-tool='AnyDesk']")).to_contain_text("AnyDesk")
    shoot(admin, "console-remote-tools-en")

    ada.language = "ru"
    ada.save(update_fields=["language"])
    russian = open_chat_session("ru-RU")
    russian.sign_in(ada.email)
    russian.go("/admin/channels/remote/")
    expect(russian.page.locator("h1")).to_have_text("Удалённые сеансы")
    shoot(russian, "console-remote-tools-ru")
    russian.go(f"/admin/channels/remote/{RemoteTool.objects.get().pk}/")
    expect(russian.page.locator("label[for=id_template]")).to_have_text("Шаблон ссылки")
    shoot(russian, "console-remote-tool-ru")


def _run_a_session(session: Any, number: int, *, session_id: str) -> Page:
    page: Page = session.page
    session.go(f"/agent/tickets/{number}")
    card = page.locator("[data-remote]")
    card.locator("[data-remote-open]").click()
    card.locator("input[name=session_id]").fill(session_id)
    card.locator("[data-remote-invite]").click()
    expect(page.locator("[data-remote-session]")).to_have_attribute("data-state", "invited")
    return page


def test_an_agent_invites_from_a_ticket_and_marks_start_and_end(
    open_chat_session: Any, ada: User, alice: User, bob: User, dana: User, support: Any
) -> None:
    tool = actions.create_tool(by=ada, values={"name": "RustDesk", "kind": "rustdesk"})
    ticket = ticket_actions.create_ticket(
        requester=dana,
        subject="The screen goes black",
        body="After the update my screen goes black.",
        by=alice,
        team=support,
        channel=Channel.EMAIL,
    )
    agent = open_chat_session("en-US")
    agent.sign_in(alice.email)
    page = _run_a_session(agent, ticket.number, session_id="123456789")
    # A refusal first: a RustDesk link needs the session ID.
    card = page.locator("[data-remote]")
    card.locator("[data-remote-open]").click()
    card.locator("[data-remote-invite]").click()
    expect(page.locator("[data-remote-error]")).to_contain_text("needs the session ID")
    assert RemoteSession.objects.count() == 1
    # The invitation is in the thread, with the link.
    expect(page.locator(".thread")).to_contain_text("rustdesk://connection/new/123456789")
    shoot(agent, "ticket-remote-invited-en")
    page.locator("[data-remote-start]").click()
    expect(page.locator("[data-remote-session]")).to_have_attribute("data-state", "started")
    page.locator("[data-remote-end]").click()
    expect(page.locator("[data-remote-session]")).to_have_attribute("data-state", "ended")
    expect(page.locator("[data-remote-session]")).to_contain_text("1 minute logged")
    expect(page.locator("[data-time-total]")).to_contain_text("1 minute logged")
    shoot(agent, "ticket-remote-ended-en")
    assert TimeEntry.objects.get(ticket=ticket).agent == alice
    assert tool.sessions.get().state == "ended"

    # In Russian, for a Russian customer.
    russian_ticket = ticket_actions.create_ticket(
        requester=dana,
        subject="Не работает принтер",
        body="Принтер не печатает.",
        by=bob,
        team=support,
        channel=Channel.EMAIL,
        language="ru",
    )
    bob.language = "ru"
    bob.save(update_fields=["language"])
    russian = open_chat_session("ru-RU")
    russian.sign_in(bob.email)
    rpage = _run_a_session(russian, russian_ticket.number, session_id="987 654")
    expect(rpage.locator("[data-remote] h2")).to_have_text("Удалённые сеансы")
    expect(rpage.locator(".thread")).to_contain_text("приглашает вас на сеанс удалённой помощи")
    expect(rpage.locator("[data-remote-start]")).to_have_text("Сеанс начат")
    shoot(russian, "ticket-remote-invited-ru")
    rpage.locator("[data-remote-start]").click()
    expect(rpage.locator("[data-remote-end]")).to_have_text("Сеанс завершён")
    shoot(russian, "ticket-remote-started-ru")
