# ruff: noqa: RUF001
"""The live chat in real browsers: a visitor on the demo site, an agent in the chat inbox.

The server is the ASGI application (WebSockets included) in the test process, see
tests/e2e/chat_server.py. Each conversation runs in two browser contexts, as two people.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import Team, User
from opora.automation.actions import configure_bot
from opora.chat.models import AgentPresence, ChatWidget
from opora.chat.widgets import WidgetFields, change_widget_key, save_widget
from opora.feedback.models import Rating
from opora.kb import actions as kb
from opora.tickets.models import Channel, Ticket
from tests.e2e.chat_server import asgi_live_server, open_chat_session

pytestmark = pytest.mark.e2e
__all__ = ["asgi_live_server", "open_chat_session"]

QUESTION = "How do I reset my password?"


@pytest.fixture
def demo_widget(support: Team, ada: User) -> ChatWidget:
    """The demo page's widget (public key "demo") for the Support team, set up as an
    administrator would: created, then given the key the demo page names."""
    widget = save_widget(
        None,
        WidgetFields(
            name="Demo",
            team_id=support.pk,
            prechat_name="optional",
            prechat_email="optional",
            greeting_en="Hi! Ask us anything.",
            greeting_ru="Здравствуйте! Спросите нас о чём угодно.",
        ),
        by=ada,
    )
    return change_widget_key(widget, by=ada, key="demo")


@pytest.fixture
def password_article(alice: User) -> Any:
    return kb.create_article(
        by=alice,
        title="Reset your password",
        body="Open Settings, then Security, and click **Reset password**.",
        status="published",
    )


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _widget_log(page: Page) -> Any:
    return page.get_by_role("log", name="Messages")


def _start_chat(page: Page, *, name: str = "", email: str = "") -> None:
    page.get_by_role("button", name="Chat with us").click()
    if name:
        page.get_by_label("Your name").fill(name)
    if email:
        page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Start the chat").click()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()


def _say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def _agent_in_inbox(open_chat_session: Any, agent: User, *, width: int | None = None) -> Any:
    session = open_chat_session("en-US", width=width)
    session.sign_in(agent.email)
    session.go("/agent/chat/")
    session.page.get_by_role("radio", name="Online").check()
    expect(session.page.locator("[data-presence-dot]")).to_have_class("presence-dot online")
    return session


def _accept_offer(agent_page: Page, visitor_name: str) -> None:
    offer = agent_page.locator("[data-offer]", has_text=visitor_name)
    expect(offer).to_be_visible()
    expect(agent_page).to_have_title("(1) Chat · Opora")
    offer.get_by_role("button", name="Accept").click()
    expect(agent_page.locator("[data-pane-title]")).to_contain_text(visitor_name)


def test_a_visitor_talks_to_the_bot_then_to_an_agent_and_rates_the_chat(
    open_chat_session, demo_widget, alice, ada, support, password_article, tmp_path
):
    # given the answer bot on for Support and Alice online in the chat inbox
    configure_bot(by=ada, team_id=support.pk, enabled=True, threshold=0.1)
    agent = _agent_in_inbox(open_chat_session, alice)
    desk = agent.page

    # when a visitor asks on the demo site, the bot answers from the knowledge base
    visitor = open_chat_session("en-US")
    visitor.go("/chat/demo/")
    page = visitor.page
    _start_chat(page, name="Vera", email="vera@example.com")
    _say(page, QUESTION)
    log = _widget_log(page)
    expect(log.locator(".msg.visitor", has_text=QUESTION)).to_have_count(1)
    bot_answer = log.locator(".msg.bot", has_text="Reset your password")
    expect(bot_answer).to_be_visible()
    expect(bot_answer.get_by_role("button", name="This helped")).to_be_visible()

    # and the visitor asks for a person: Alice gets the offer and accepts it
    bot_answer.get_by_role("button", name="Talk to a person").click()
    expect(log).to_contain_text("Looking for an agent")
    _accept_offer(desk, "Vera")
    expect(log).to_contain_text("Alice joined the chat")
    transcript = desk.get_by_role("log", name="Transcript")
    expect(transcript.locator(".cmsg.visitor", has_text=QUESTION)).to_have_count(1)
    expect(desk.locator("[data-v=email]")).to_have_text("vera@example.com")
    expect(desk.locator("[data-v=page_url]")).to_contain_text("/chat/demo/")

    # they talk both ways; the agent sees the visitor typing, the visitor sees "Read"
    desk.get_by_role("textbox", name="Message").fill("Hello Vera, I can help.")
    desk.get_by_role("textbox", name="Message").press("Enter")
    expect(log.locator(".msg.agent", has_text="Hello Vera, I can help.")).to_have_count(1)
    page.get_by_role("textbox", name="Message").press_sequentially("It still fails")
    expect(desk.locator("[data-typing]")).to_have_text("The visitor is typing…")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(transcript.locator(".cmsg.visitor", has_text="It still fails")).to_have_count(1)
    expect(log.locator(".msg.visitor").last.locator(".receipt")).to_have_text("Read")
    expect(transcript.locator(".cmsg.pending")).to_have_count(0)
    expect(transcript.locator(".cmsg.agent", has_text="Hello Vera")).to_have_count(1)

    # and a file each way: the visitor's through the widget, Alice's through the ticket
    page.locator("opora-chat input[type=file]").set_input_files(
        str(_file(tmp_path, "error.txt", "Error 42"))
    )
    expect(log.get_by_role("link", name="error.txt")).to_be_visible()
    expect(transcript.get_by_role("link", name="error.txt")).to_be_visible()
    desk.get_by_label("Message").fill("Here is the guide.")
    desk.locator("#chat-file").set_input_files(str(_file(tmp_path, "guide.txt", "Step 1")))
    expect(log.get_by_role("link", name="guide.txt")).to_be_visible()
    expect(log.locator(".msg.agent", has_text="Here is the guide.")).to_have_count(1)
    # a file with nothing typed is shown as the file alone, on both sides
    desk.locator("#chat-file").set_input_files(str(_file(tmp_path, "steps.txt", "Step 2")))
    alone = log.locator(".msg.agent", has=page.get_by_role("link", name="steps.txt"))
    expect(alone).to_have_count(1)
    expect(alone.locator(".bubble")).to_have_count(0)
    sent = transcript.locator(
        ".cmsg.agent:not(.pending)", has=desk.get_by_role("link", name="steps.txt")
    )
    expect(sent).to_have_count(1)
    expect(sent.locator(".text")).to_have_count(0)
    agent.screenshot("chat-agent-inbox")
    visitor.screenshot("chat-widget-conversation-en")

    # when Alice ends the chat, the visitor rates it
    desk.get_by_role("button", name="End chat").click()
    rating = page.get_by_role("form", name="How was the chat?")
    expect(rating).to_be_visible()
    rating.get_by_role("button", name="4 of 5").click()
    rating.get_by_label("Comment (optional)").fill("Quick and kind.")
    rating.get_by_role("button", name="Send the rating").click()
    expect(log).to_contain_text("Thank you for your rating!")

    # then the conversation is a chat ticket with the transcript in order, rated
    ticket = Ticket.objects.get(channel=Channel.CHAT)
    public = ticket.messages.filter(internal=False).order_by("id")
    bodies = list(public.values_list("body", flat=True))
    said = [QUESTION, "Hello Vera, I can help.", "It still fails", "Here is the guide."]
    assert [b for b in bodies if b in said] == said
    assert any("Reset your password" in b for b in bodies[1 : bodies.index(said[1])])
    names = list(
        ticket.messages.filter(attachments__isnull=False)
        .order_by("id")
        .values_list("attachments__filename", flat=True)
    )
    assert names == ["error.txt", "guide.txt", "steps.txt"]
    assert ticket.first_response_at is not None
    assert (Rating.objects.get(ticket=ticket).score, Rating.objects.get(ticket=ticket).comment) == (
        4,
        "Quick and kind.",
    )


def test_with_nobody_online_the_visitor_leaves_a_message_answered_by_email(
    open_chat_session, demo_widget
):
    # given nobody of Support online
    visitor = open_chat_session("en-US")
    visitor.go("/chat/demo/")
    page = visitor.page

    # when the visitor opens the chat, it asks for an e-mail and a message
    page.get_by_role("button", name="Chat with us").click()
    dialog = page.get_by_role("dialog", name="Chat with us")
    expect(dialog).to_contain_text("the answer will come by e-mail")
    page.get_by_role("button", name="Send the message").click()
    expect(dialog).to_contain_text("Please fill in this field.")
    assert not Ticket.objects.exists()
    page.get_by_label("Your name").fill("Oleg")
    page.get_by_label("E-mail").fill("oleg@example.com")
    page.get_by_label("Your message").fill("Do you ship to Kazan?")
    page.get_by_role("button", name="Send the message").click()

    # then it is stored as an e-mail ticket of Oleg's
    expect(_widget_log(page)).to_contain_text("We will answer by e-mail")
    expect(_widget_log(page).locator(".msg.visitor:not(.pending)")).to_have_count(1)
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.EMAIL
    assert ticket.requester.email == "oleg@example.com"
    assert ticket.messages.get().body == "Do you ship to Kazan?"


def test_a_dropped_connection_loses_no_message(open_chat_session, demo_widget, alice):
    # given a visitor talking with Alice
    agent = _agent_in_inbox(open_chat_session, alice)
    desk = agent.page
    visitor = open_chat_session("en-US")
    visitor.go("/chat/demo/")
    page = visitor.page
    _start_chat(page, name="Rita")
    _say(page, "Hello, anyone?")
    _accept_offer(desk, "Rita")
    log = _widget_log(page)
    transcript = desk.get_by_role("log", name="Transcript")

    # when the visitor's network goes away, both keep writing
    visitor.context.set_offline(True)
    expect(page.get_by_role("status")).to_contain_text("Reconnecting")
    _say(page, "Are you still there?")
    expect(log.locator(".msg.visitor.pending", has_text="Are you still there?")).to_have_count(1)
    desk.get_by_role("textbox", name="Message").fill("Yes, one moment.")
    desk.get_by_role("textbox", name="Message").press("Enter")
    sent = transcript.locator(".cmsg.agent:not(.pending)", has_text="Yes, one moment.")
    expect(sent).to_be_visible()
    # and it comes back
    visitor.context.set_offline(False)

    # then each side has every message exactly once
    for text in ("Hello, anyone?", "Are you still there?", "Yes, one moment."):
        expect(log.locator(".msg:not(.pending)", has_text=text)).to_have_count(1)
        expect(transcript.locator(".cmsg:not(.pending)", has_text=text)).to_have_count(1)
    ticket = Ticket.objects.get(channel=Channel.CHAT)
    assert ticket.messages.filter(body="Are you still there?").count() == 1
    # and after a reload the history is still there
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(log.locator(".msg", has_text="Are you still there?")).to_have_count(1)
    expect(log.locator(".msg", has_text="Yes, one moment.")).to_have_count(1)


@pytest.mark.parametrize("locale,lang", [("en-US", "en"), ("ru-RU", "ru")])
@pytest.mark.parametrize("width", [1440, 390])
def test_the_widget_is_reachable_by_role_and_label(
    open_chat_session, demo_widget, alice, locale, lang, width
):
    # given an agent online (the chat shows its online form)
    _agent_in_inbox(open_chat_session, alice, width=width)
    visitor = open_chat_session(locale, width=width)
    visitor.go("/chat/demo/")
    page = visitor.page
    texts = {
        "en": ("Chat with us", "Message", "Send", "Attach a file", "Emoji", "Close the chat"),
        "ru": (
            "Напишите нам",
            "Сообщение",
            "Отправить",
            "Прикрепить файл",
            "Эмодзи",
            "Закрыть чат",
        ),
    }[lang]
    open_label, message, send, attach, emoji, close = texts

    # when the visitor opens the chat with the keyboard
    launcher = page.get_by_role("button", name=open_label)
    launcher.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    start = "Start the chat" if lang == "en" else "Начать чат"
    page.get_by_role("button", name=start).click()

    # then every control has a name, the log is polite, the panel fits the screen
    box = page.get_by_role("textbox", name=message)
    expect(box).to_be_focused()
    for name in (send, attach, emoji, close):
        expect(page.get_by_role("button", name=name)).to_be_visible()
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    panel = dialog.bounding_box()
    assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= width
    # the page's loud styles do not reach the widget
    assert page.get_by_role("button", name=send).evaluate("b => getComputedStyle(b).fontFamily")
    font = box.evaluate("b => getComputedStyle(b).fontFamily")
    assert "Comic" not in font
    # emoji go in at the caret; Shift+Enter is a new line, not a send
    box.fill("Hi ")
    page.get_by_role("button", name=emoji).click()
    page.get_by_role("button", name="👍").click()
    expect(box).to_have_value("Hi 👍")
    box.press("Shift+Enter")
    expect(box).to_have_value("Hi 👍\n")
    suffix = "" if width > 390 else "-390"
    visitor.screenshot(f"chat-widget-{lang}{suffix}")
    # Escape closes the panel and gives the focus back to the launcher
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()


def test_the_agent_inbox_works_at_390_pixels(open_chat_session, demo_widget, alice):
    # given Alice on a phone, online
    agent = _agent_in_inbox(open_chat_session, alice, width=390)
    desk = agent.page
    visitor = open_chat_session("en-US")
    visitor.go("/chat/demo/")
    _start_chat(visitor.page, name="Ivan")
    _say(visitor.page, "Hello from my phone")

    # when she accepts, the conversation takes the screen; Back shows the list again
    _accept_offer(desk, "Ivan")
    expect(desk.get_by_role("log", name="Transcript")).to_contain_text("Hello from my phone")
    expect(desk.locator("[data-chats]")).to_be_hidden()
    width = desk.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    agent.screenshot("chat-agent-inbox-390")
    desk.get_by_role("button", name="← Conversations").click()
    expect(desk.locator("[data-chat]", has_text="Ivan")).to_be_visible()


def test_an_agent_on_the_queue_page_hears_of_an_offer(open_chat_session, demo_widget, alice):
    # given Alice online in the chat inbox, who then goes to the ticket queue
    agent = _agent_in_inbox(open_chat_session, alice)
    desk = agent.page
    desk.get_by_role("link", name="Tickets").click()
    desk.wait_for_url("**/agent/")
    expect(desk.locator("[data-chat-badge]")).to_be_hidden()

    # when a visitor starts a chat
    visitor = open_chat_session("en-US")
    visitor.go("/chat/demo/")
    _start_chat(visitor.page, name="Nina")
    _say(visitor.page, "Hello from the shop")

    # then the queue page shows it in the badge and the title, and she is still online
    expect(desk.locator("[data-chat-badge]")).to_have_text("1")
    expect(desk).to_have_title(re.compile(r"^\(1\) "))
    assert AgentPresence.objects.get(agent=alice).status == "online"
    # and the inbox, opened from the badge, has the offer to accept
    desk.get_by_role("link", name=re.compile("^Chat")).click()
    _accept_offer(desk, "Nina")
    expect(desk.get_by_role("log", name="Transcript")).to_contain_text("Hello from the shop")


def test_an_admin_reaches_the_chat_settings_at_390_pixels(open_chat_session, demo_widget, ada):
    # given Ada, an administrator, on a phone
    session = open_chat_session("en-US", width=390)
    session.sign_in(ada.email)
    session.go("/agent/")
    page = session.page

    # when she opens the chat settings from the admin console's menu
    page.get_by_role("link", name="Admin").click()
    page.locator("[data-console-menu] summary").click()
    page.locator("[data-console-menu]").get_by_role("link", name="Chat settings").click()
    expect(page.get_by_role("heading", name="Chat widgets")).to_be_visible()

    # then the page fits the screen, with the key and the snippet to copy
    card = page.locator("[data-widget]", has_text="Demo")
    expect(card.locator("[data-public-key]")).to_have_text("demo")
    expect(card.get_by_label("Paste this into your site's pages, before </body>:")).to_have_value(
        re.compile('data-key="demo"')
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_label("Alice")).to_have_value("3")
    session.screenshot("chat-settings")

    # and a new key replaces the old one: the demo page's widget no longer loads
    card.get_by_role("button", name="New key").click()
    expect(page.get_by_role("status")).to_contain_text("has a new key")
    new_key = ChatWidget.objects.get(pk=demo_widget.pk).public_key
    assert new_key != "demo"
    expect(page.locator("[data-public-key]")).to_have_text(new_key)
    assert page.request.get(f"{session.base_url}/chat/api/demo/config").status == 404


def test_a_chat_passed_on_waits_in_every_inbox_of_the_team_and_anyone_takes_it(
    open_chat_session, demo_widget, alice, bob
):
    # given Alice online and Bob away, both in the chat inbox
    alice_desk = _agent_in_inbox(open_chat_session, alice).page
    bob_session = open_chat_session("en-US")
    bob_session.sign_in(bob.email)
    bob_session.go("/agent/chat/")
    bob_desk = bob_session.page
    bob_desk.get_by_role("radio", name="Away").check()
    expect(bob_desk.locator("[data-presence-dot]")).to_have_class("presence-dot away")

    # when a visitor writes and Alice passes
    visitor = open_chat_session("en-US")
    visitor.go("/chat/demo/")
    _start_chat(visitor.page, name="Pavel")
    _say(visitor.page, "Is anyone there?")
    offer = alice_desk.locator("[data-offer]", has_text="Pavel")
    offer.get_by_role("button", name="Pass").click()

    # then the chat waits, with its waiting time, in both inboxes
    for desk in (alice_desk, bob_desk):
        waiting = desk.locator("[data-waiting-chat]", has_text="Pavel")
        expect(waiting).to_contain_text("waiting less than a minute")
    # and Bob takes it with the keyboard
    take = bob_desk.get_by_role("button", name="Take: Pavel")
    take.focus()
    bob_desk.keyboard.press("Enter")
    expect(bob_desk.locator("[data-pane-title]")).to_contain_text("Pavel")
    transcript = bob_desk.get_by_role("log", name="Transcript")
    expect(transcript).to_contain_text("Is anyone there?")
    expect(alice_desk.locator("[data-waiting-chat]")).to_have_count(0)
    expect(visitor.page.get_by_role("log", name="Messages")).to_contain_text("Bob joined the chat")
