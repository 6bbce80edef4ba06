"""Phone calls in real browsers: an agent on the workspace sees the caller's card pop
when the PBX posts a ringing event, and clicks through to the ticket, where the call is
recorded once it ends; an admin sets up a line in the console and sends a test event.
English and Russian, on a desktop and at a phone's 390 px.

The server is the ASGI application (WebSockets included) in the test process
(tests/e2e/chat_server.py); events are posted to it over HTTP, signed, as a PBX would.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from opora.accounts.models import Identity, IdentityKind, Team, User
from opora.sla import webhooks as signing
from opora.telephony.actions import create_line
from opora.telephony.models import Call, PhoneLine
from opora.tickets.models import Ticket
from tests.e2e.chat_server import asgi_live_server, open_chat_session

pytestmark = pytest.mark.e2e
__all__ = ["asgi_live_server", "open_chat_session"]

CALLER = "+79161234567"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}


@pytest.fixture
def line(ada: User, support: Team) -> PhoneLine:
    return create_line(
        by=ada,
        values={
            "name": "Office",
            "team": support.pk,
            "numbers": "+74950000000",
            "extensions": "101 = alice@desk.test",
        },
    ).line


def _post(server_url: str, line: PhoneLine, event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    answer = httpx.post(
        f"{server_url}/channels/phone/{line.pk}/generic",
        content=body,
        headers=signing.signed_headers(line.secret, body),
        timeout=15,
    )
    assert answer.status_code == 200, answer.text


def _event(kind: str, call_id: str, **extra: Any) -> dict[str, Any]:
    base = {"event": kind, "call_id": call_id, "direction": "in", "from": CALLER}
    return base | {"to": "+74950000000"} | extra


def _fits_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def _wait_for_socket(page: Page) -> None:
    expect(page.locator("html[data-phone-socket=open]")).to_have_count(1)


def test_the_callers_card_pops_in_the_workspace_and_leads_to_the_ticket(
    open_chat_session: Any,
    asgi_live_server: Any,
    line: PhoneLine,
    alice: User,
    dana: User,
    make_ticket: Any,
) -> None:
    Identity.objects.create(user=dana, kind=IdentityKind.PHONE, value=CALLER, verified=True)
    older = make_ticket(dana, subject="Invoice is wrong")
    agent = open_chat_session("en-US")
    agent.sign_in(alice.email)
    page = agent.page
    agent.go("/agent/")
    _wait_for_socket(page)

    _post(asgi_live_server.url, line, _event("ringing", "e2e-1"))

    card = page.locator("[data-phone-card]")
    expect(card).to_be_visible()
    expect(card.locator("[data-card-name]")).to_have_text("Dana")
    expect(card.locator("[data-card-org]")).to_have_text("Acme")
    expect(card).to_contain_text(CALLER)
    expect(card.locator(f"[data-card-ticket='{older.number}']")).to_be_visible()
    agent.screenshot("phone-caller-card-en")

    # Answered by Alice at the PBX: the card says so.
    _post(asgi_live_server.url, line, _event("answered", "e2e-1", agent="101"))
    expect(card.locator("[data-card-state]")).to_contain_text("Alice")

    card.locator("[data-card-open]").click()
    ticket = Ticket.objects.exclude(pk=older.pk).get()
    page.wait_for_url(f"**/agent/tickets/{ticket.number}")
    calls = page.locator("[data-phone-calls]")
    expect(calls).to_contain_text(CALLER)
    expect(calls).to_contain_text("In progress")

    _post(
        asgi_live_server.url,
        line,
        _event("ended", "e2e-1", duration=125, recording_url="https://pbx.test/r/1.mp3"),
    )
    page.reload()
    expect(calls.locator("[data-outcome=answered]")).to_contain_text("2:05")
    expect(calls.locator("[data-recording]")).to_have_attribute("href", "https://pbx.test/r/1.mp3")
    expect(page.locator("[data-time-total]")).to_contain_text("3")
    agent.screenshot("phone-ticket-calls-en")
    _fits_a_phone(page)
    agent.screenshot("phone-ticket-calls-en-phone")


def test_a_missed_call_in_russian_at_390_pixels_waits_in_the_call_back_view(
    open_chat_session: Any, asgi_live_server: Any, line: PhoneLine, alice: User
) -> None:
    alice.language = "ru"
    alice.save(update_fields=["language"])
    agent = open_chat_session("ru-RU", width=390)
    agent.sign_in(alice.email)
    page = agent.page
    agent.go("/agent/")
    _wait_for_socket(page)

    _post(asgi_live_server.url, line, _event("ringing", "e2e-2"))
    card = page.locator("[data-phone-card]")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Входящий звонок")
    _fits_a_phone(page)
    agent.screenshot("phone-caller-card-ru-phone")

    _post(asgi_live_server.url, line, _event("ended", "e2e-2"))
    # (At 390 px the queue's sidebar is folded away: the view by its address.)
    agent.go("/agent/calls/call-back")
    call = Call.objects.select_related("ticket").get()
    assert call.ticket is not None
    row = page.locator(f"[data-callback-row='{call.ticket.number}']")
    expect(row).to_be_visible()
    _fits_a_phone(page)
    agent.screenshot("phone-call-back-ru-phone")
    row.get_by_role("button").click()
    expect(page.locator("[data-callbacks]")).to_have_count(0)
    call.refresh_from_db()
    assert call.callback_done_at is not None


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_an_admin_sets_up_a_phone_line_and_sends_a_test_event(
    open_chat_session: Any,
    asgi_live_server: Any,
    settings: Any,
    ada: User,
    support: Team,
    locale: str,
) -> None:
    settings.BASE_URL = asgi_live_server.url
    language = locale[:2]
    ada.language = language
    ada.save(update_fields=["language"])
    admin = open_chat_session(locale)
    admin.sign_in(ada.email)
    page = admin.page
    admin.go("/admin/channels/phone/")
    page.locator("[data-new-line]").click()
    form = page.locator("[data-line-form]")
    form.locator("input[name=name]").fill("Office PBX")
    form.locator("select[name=team]").select_option(str(support.pk))
    form.locator("textarea[name=numbers]").fill("+7 495 000-00-00")
    form.locator("button[type=submit]").click()

    line = PhoneLine.objects.get()
    expect(page.locator("[data-secret]")).to_have_text(line.secret)
    expect(page.locator("[data-webhook-url]")).to_contain_text(f"/channels/phone/{line.pk}/generic")
    page.locator("[data-test-line]").click()
    expect(page.locator("[data-check=ok]")).to_be_visible()
    expect(page.locator("[data-secret]")).to_have_count(0)
    admin.screenshot(f"console-phone-line-{language}")
    _fits_a_phone(page)
    admin.screenshot(f"console-phone-line-{language}-phone")
    page.set_viewport_size(DESKTOP)

    admin.go("/admin/channels/phone/")
    expect(page.locator("[data-line='Office PBX']")).to_contain_text("+7 495 000-00-00")
    admin.screenshot(f"console-phone-lines-{language}")
    _fits_a_phone(page)
