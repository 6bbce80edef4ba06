"""The answer bot first, then the least-loaded online agent of the widget's team; passes,
lapsed offers and agents outside the team; nobody online → an e-mail ticket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.automation.bot import configure_bot
from opora.automation.models import BotConversation
from opora.chat import routing
from opora.chat.actions import post_message, set_capacity, set_presence
from opora.chat.models import ChatSession, ChatWidget
from opora.chat.selectors import Visitor
from opora.kb import actions as kb
from opora.tickets.models import Ticket
from tests.chat.conftest import (
    Socket,
    agent_socket,
    agent_token,
    new_visitor,
    online,
    run,
    visitor_socket,
)
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def article(alice: User) -> Any:
    return kb.create_article(
        by=alice,
        title="Printer does not print",
        body="Check the print queue and restart the spooler service.\n\n"
        "If that does not help, switch the printer off for a minute.\n\n" + "Details. " * 100,
        status="published",
    )


@pytest.fixture
def bot_on(support: Team) -> Any:
    return configure_bot(team_id=support.pk, enabled=True, threshold=0.5)


async def say(widget: ChatWidget, token: str, text: str) -> Socket:
    visitor = visitor_socket(widget, token)
    assert await visitor.connect()
    await visitor.expect("hello")
    await visitor.send({"type": "message", "text": text, "client_id": "first"})
    await visitor.expect("message")
    return visitor


def test_the_bot_answers_with_the_articles_text_and_helpful_solves(
    widget: ChatWidget, alice: User, article: Any, bot_on: Any
):
    online(alice)
    token = new_visitor(widget)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        visitor = await say(widget, token, "My printer does not print")
        answer = await visitor.reply("bot")
        await visitor.send({"type": "helpful"})
        ended = await visitor.expect("state", state="ended")
        await visitor.close()
        return answer, ended

    answer, _ = run(scenario)
    text = answer["message"]["text"]
    assert "Check the print queue and restart the spooler service." in text
    assert "switch the printer off" in text
    assert f"/help/articles/{article.pk}/" in text
    assert "yes" not in text.lower()  # the widget asks with buttons
    assert len(text) < 1000  # the first paragraphs, not the whole article
    ticket = Ticket.objects.get()
    assert ticket.status == "solved"
    assert ticket.tags.filter(name="solved-by-bot").exists()
    assert BotConversation.objects.get().state == "solved"
    assert ChatSession.objects.get().state == "ended"


def test_handoff_offers_the_chat_to_the_least_loaded_online_agent(
    widget: ChatWidget, alice: User, bob: User, lena: User, ada: User, article: Any, bot_on: Any
):
    # given three agents online, and Alice (1st line) busy with as many chats as she takes
    online(alice, bob, lena)
    set_capacity(alice, 1, by=ada)
    busy = ChatSession.objects.create(widget=widget, visitor_id="busy-visitor", state="active")
    ChatSession.objects.filter(pk=busy.pk).update(agent=alice)
    token, bob_token, lena_token = new_visitor(widget), agent_token(bob), agent_token(lena)

    async def scenario() -> dict[str, Any]:
        bob_socket, lena_socket = agent_socket(bob_token), agent_socket(lena_token)
        for s in (bob_socket, lena_socket):
            await s.connect()
            await s.expect("chats")
        visitor = await say(widget, token, "My printer does not print")
        await visitor.reply("bot")
        await visitor.send({"type": "handoff"})
        await visitor.expect("state", state="waiting")
        offer = await bob_socket.expect("offer")
        # then Lena (3rd line) is not offered it while Bob (2nd line) can take it
        lena_heard = await lena_socket.pending()
        assert "offer" not in {f["type"] for f in lena_heard}
        for s in (visitor, bob_socket, lena_socket):
            await s.close()
        return offer

    offer = run(scenario)
    assert offer["expires_in"] == 30
    assert offer["chat"]["state"] == "offered"
    assert offer["chat"]["offered_to"] == bob.pk
    # and closing their sockets changed nothing: the offer is still Bob's
    session = ChatSession.objects.get(ticket__isnull=False)
    assert (session.state, session.offered_to) == ("offered", bob)
    assert session.waiting_since is not None
    assert Ticket.objects.get().tags.filter(name="bot-handoff").exists()


def test_a_pass_and_a_lapsed_offer_move_the_chat_to_the_next_agent(
    widget: ChatWidget, alice: User, bob: User, lena: User
):
    online(alice, bob, lena)
    token, alice_token = new_visitor(widget), agent_token(alice)

    async def scenario() -> None:
        alice_socket = agent_socket(alice_token)
        await alice_socket.connect()
        await alice_socket.expect("chats")
        visitor = await say(widget, token, "Hello")
        offer = await alice_socket.expect("offer")
        await alice_socket.send({"type": "pass", "chat_id": offer["chat"]["id"]})
        await alice_socket.expect("chat")
        await visitor.close()
        await alice_socket.close()

    run(scenario)
    session = ChatSession.objects.get()
    # Alice passed: Bob (2nd line) has the offer
    assert session.offered_to == bob
    assert session.passed_by == [alice.pk]
    # Bob lets it run out: Lena gets it on the next check
    ChatSession.objects.filter(pk=session.pk).update(
        offered_at=timezone.now() - timedelta(seconds=31)
    )
    routing.sweep()
    session.refresh_from_db()
    assert session.offered_to == lena
    assert session.passed_by == [alice.pk, bob.pk]


def test_an_agent_outside_the_team_gets_no_offer_and_cannot_accept(
    widget: ChatWidget, otto: User, billing: Team, alice: User, api: Any
):
    online(otto)
    token, otto_token = new_visitor(widget), agent_token(otto)
    otto_api = api(otto)

    async def scenario() -> list[dict[str, Any]]:
        otto_socket = agent_socket(otto_token)
        await otto_socket.connect()
        await otto_socket.expect("chats")
        visitor = visitor_socket(widget, token)
        await visitor.connect()
        hello = await visitor.expect("hello")
        assert hello["online"] is False  # nobody of Support is online
        await visitor.close()
        heard = await otto_socket.pending()
        await otto_socket.close()
        return heard

    assert run(scenario) == []
    # a chat of Support offered to Alice is still not Otto's
    online(alice)

    async def write() -> None:
        visitor = await say(widget, token, "Anyone?")
        await visitor.close()

    run(write)
    session = ChatSession.objects.get()
    assert session.state == "offered"
    with nothing_written(session):
        refused = otto_api.post(f"/chat/sessions/{session.pk}/accept")
    assert refused.status_code == 404
    assert otto_api.get("/chat/sessions").json() == []


def test_nobody_online_makes_the_message_an_email_ticket(widget: ChatWidget, alice: User):
    token = new_visitor(widget, name="Vera")

    async def scenario() -> list[dict[str, Any]]:
        visitor = visitor_socket(widget, token)
        await visitor.connect()
        hello = await visitor.expect("hello")
        assert hello["online"] is False
        # without an address the widget is told to ask for one
        await visitor.send({"type": "message", "text": "Invoice is wrong", "client_id": "1"})
        error = await visitor.expect("error")
        await visitor.send(
            {
                "type": "message",
                "text": "Invoice is wrong",
                "client_id": "1",
                "email": "vera@shop.test",
            }
        )
        echo = await visitor.expect("message")
        await visitor.close()
        return [error, echo]

    error, echo = run(scenario)
    assert error["code"] == "email_required"
    assert echo["message"]["text"] == "Invoice is wrong"
    ticket = Ticket.objects.get()
    assert ticket.channel == "email"
    assert ticket.requester.email == "vera@shop.test"
    assert ticket.team is not None and ticket.team.name == "Support"
    assert ticket.tags.filter(name="chat-offline").exists()
    assert ChatSession.objects.get().state == "offline"


def test_a_chat_everyone_passed_on_waits_in_view_and_is_offered_again_round_robin(
    widget: ChatWidget, alice: User, bob: User, lena: User
):
    # given Alice and Bob online, Lena (same team) away
    online(alice, bob)
    set_presence(lena, "away")
    token = new_visitor(widget, name="Vera")
    alice_token, bob_token, lena_token = agent_token(alice), agent_token(bob), agent_token(lena)

    async def scenario() -> dict[str, Any]:
        alice_socket, bob_socket, lena_socket = (
            agent_socket(alice_token),
            agent_socket(bob_token),
            agent_socket(lena_token),
        )
        for s in (alice_socket, bob_socket, lena_socket):
            await s.connect()
            await s.expect("chats")
        visitor = await say(widget, token, "Hello")
        # when Alice passes, then Bob
        offer = await alice_socket.expect("offer")
        chat_id = offer["chat"]["id"]
        await alice_socket.send({"type": "pass", "chat_id": chat_id})
        await bob_socket.expect("offer")
        await bob_socket.send({"type": "pass", "chat_id": chat_id})
        # then everyone of the team, Lena away included, sees it waiting
        seen = {}
        for name, s in (("alice", alice_socket), ("bob", bob_socket), ("lena", lena_socket)):
            seen[name] = await _last_chat(s, chat_id)
        reconnect = agent_socket(lena_token)
        await reconnect.connect()
        listed = await reconnect.expect("chats")
        for s in (alice_socket, bob_socket, lena_socket, reconnect, visitor):
            await s.close()
        return {"seen": seen, "listed": listed}

    frames = run(scenario)
    for chat in frames["seen"].values():
        assert chat["state"] == "waiting" and chat["waiting_since"]
    assert [c["state"] for c in frames["listed"]["chats"]] == ["waiting"]
    session = ChatSession.objects.get()
    assert (session.state, session.passed_by) == ("waiting", [alice.pk, bob.pk])
    # the periodic check leaves it a moment (nobody who has not passed is online) ...
    routing.sweep()
    assert ChatSession.objects.get().state == "waiting"
    # ... and one offer period after the last pass offers it again, in the same order
    ChatSession.objects.filter(pk=session.pk).update(
        passed_at=timezone.now() - timedelta(seconds=30)
    )
    routing.sweep()
    session.refresh_from_db()
    assert (session.state, session.offered_to, session.passed_by) == ("offered", alice, [])


async def _last_chat(socket: Socket, chat_id: int) -> dict[str, Any]:
    """The chat frame of `chat_id` in the waiting state (skipping the ones before it)."""
    while True:
        frame = await socket.expect("chat")
        if frame["chat"]["id"] == chat_id and frame["chat"]["state"] == "waiting":
            return dict(frame["chat"])


def test_anyone_of_the_team_takes_a_waiting_chat_even_one_offered_to_a_colleague(
    widget: ChatWidget, alice: User, lena: User, otto: User, api: Any
):
    # given a chat offered to Alice, and Lena (same team, away) who sees it waiting
    online(alice)
    set_presence(lena, "away")
    post_message(Visitor(widget=widget, visitor_id="visitor-take-1"), "Hello", "c1")
    session = ChatSession.objects.get()
    assert (session.state, session.offered_to) == ("offered", alice)
    # Otto, of another team, cannot take it
    otto_api = api(otto)
    with nothing_written(session):
        assert otto_api.post(f"/chat/sessions/{session.pk}/accept").status_code == 404
    # when Lena takes it
    taken = api(lena).post(f"/chat/sessions/{session.pk}/accept")
    # then it is hers, and no longer Alice's offer
    assert taken.status_code == 200, taken.content
    session.refresh_from_db()
    assert (session.state, session.agent, session.offered_to) == ("active", lena, None)
    assert session.ticket is not None and session.ticket.assignee == lena
