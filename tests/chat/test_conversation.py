"""A chat from the first message to the rating: tickets, both directions, typing and
read receipts, reconnects, limits, and what never reaches the visitor."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opora.accounts.models import User
from opora.chat.models import ChatSession, ChatWidget
from opora.feedback.models import Rating
from opora.tickets import actions
from opora.tickets.models import Message, Ticket
from tests.chat.conftest import (
    Socket,
    agent_socket,
    agent_token,
    db,
    new_visitor,
    online,
    run,
    visitor_socket,
)
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db(transaction=True)


async def open_chat(
    widget: ChatWidget, token: str, agent_token_: str
) -> tuple[Socket, Socket, int]:
    """A visitor writes, the agent accepts the offer: both sockets, and the chat id."""
    agent = agent_socket(agent_token_)
    assert await agent.connect()
    await agent.expect("chats")
    visitor = visitor_socket(widget, token)
    assert await visitor.connect()
    await visitor.expect("hello")
    await visitor.send({"type": "message", "text": "My order is late", "client_id": "v1"})
    await visitor.expect("message")
    offer = await agent.expect("offer")
    chat_id: int = offer["chat"]["id"]
    await agent.send({"type": "accept", "chat_id": chat_id})
    await visitor.expect("state", state="active")
    return visitor, agent, chat_id


def test_the_first_message_opens_a_chat_ticket_in_the_widgets_team(widget: ChatWidget, alice: User):
    online(alice)
    token = new_visitor(widget, name="Vera", email="vera@shop.test", page_url="https://shop.test/")

    async def scenario() -> dict[str, Any]:
        visitor = visitor_socket(widget, token)
        await visitor.connect()
        await visitor.expect("hello")
        await visitor.send({"type": "message", "text": "Where is <my> order?", "client_id": "c-1"})
        echo = await visitor.expect("message")
        # sent again after a reconnect: stored once
        await visitor.send({"type": "message", "text": "Where is <my> order?", "client_id": "c-1"})
        await visitor.send({"type": "ping"})
        await visitor.expect("pong")
        await visitor.close()
        return echo

    echo = run(scenario)
    ticket = Ticket.objects.get()
    assert ticket.channel == "chat"
    assert ticket.team is not None and ticket.team.name == "Support"
    assert ticket.subject == "Where is <my> order?"
    assert ticket.messages.count() == 1
    # rendered escaped: the visitor's markup is text
    assert echo["message"]["html"] == "<p>Where is &lt;my&gt; order?</p>"
    assert echo["message"]["author"] == "visitor"
    # the person behind the chat is known by the chat identity, named as they said
    assert ticket.requester.name == "Vera"
    assert ticket.requester.identities.filter(kind="chat").exists()


def test_messages_go_both_ways_and_agent_replies_from_anywhere_reach_the_widget(
    widget: ChatWidget, alice: User, api: Any
):
    online(alice)
    token, alice_token = new_visitor(widget, name="Vera"), agent_token(alice)
    alice_api = api(alice)

    async def scenario() -> list[dict[str, Any]]:
        visitor, agent, chat_id = await open_chat(widget, token, alice_token)
        # the visitor writes: the agent hears it
        await visitor.send({"type": "message", "text": "Order 1234", "client_id": "v2"})
        heard = await agent.expect("message", chat_id=chat_id)
        assert heard["message"]["text"] == "Order 1234"
        # the agent answers through the socket ...
        await agent.send(
            {"type": "message", "chat_id": chat_id, "text": "Looking", "client_id": "a1"}
        )
        first = await visitor.reply()
        # ... through the REST reply endpoint ...
        number = (await db(Ticket.objects.get)()).number
        response = await db(alice_api.post)(f"/tickets/{number}/messages", {"body": "Found it"})
        assert response.status_code == 201, response.content
        second = await visitor.reply()
        # ... and an internal note never reaches the visitor
        note = await db(alice_api.post)(
            f"/tickets/{number}/messages", {"body": "Customer is grumpy", "internal": True}
        )
        assert note.status_code == 201, note.content
        await agent.send({"type": "message", "chat_id": chat_id, "text": "Bye", "client_id": "a2"})
        third = await visitor.reply()
        await visitor.close()
        await agent.close()
        return [first, second, third]

    frames = run(scenario)
    assert [f["message"]["text"] for f in frames] == ["Looking", "Found it", "Bye"]
    assert {f["message"]["author"] for f in frames} == {"agent"}
    assert frames[0]["message"]["name"] == "Alice"
    # and the visitor's history holds no note either
    ticket = Ticket.objects.get()
    assert Message.objects.filter(ticket=ticket, internal=True).count() == 1
    assert "grumpy" not in str(frames)


def test_typing_and_read_receipts_reach_the_other_side(widget: ChatWidget, alice: User):
    online(alice)
    token, alice_token = new_visitor(widget), agent_token(alice)

    async def scenario() -> tuple[dict[str, Any], ...]:
        visitor, agent, chat_id = await open_chat(widget, token, alice_token)
        await visitor.send({"type": "typing", "on": True})
        agent_typing = await agent.expect("typing")
        await agent.send({"type": "typing", "chat_id": chat_id, "on": True})
        visitor_typing = await visitor.expect("typing")
        last = (await db(lambda: Message.objects.latest("id"))()).pk
        await agent.send({"type": "read", "chat_id": chat_id, "up_to": last})
        visitor_read = await visitor.expect("read")
        await agent.send({"type": "message", "chat_id": chat_id, "text": "Hi", "client_id": "a"})
        reply = await visitor.reply()
        await visitor.send({"type": "read", "up_to": reply["message"]["id"]})
        agent_read = await agent.expect("read")
        await visitor.close()
        await agent.close()
        return (
            agent_typing,
            visitor_typing,
            visitor_read,
            agent_read,
            {"last": last, "reply": reply},
        )

    agent_typing, visitor_typing, visitor_read, agent_read, ids = run(scenario)
    assert agent_typing["on"] is True and agent_typing["chat_id"]
    assert visitor_typing == {"type": "typing", "on": True}
    assert visitor_read == {"type": "read", "up_to": ids["last"]}
    assert agent_read["up_to"] == ids["reply"]["message"]["id"]
    session = ChatSession.objects.get()
    assert session.agent_read_up_to == ids["last"]
    assert session.visitor_read_up_to == ids["reply"]["message"]["id"]


def test_a_visitor_who_reconnects_gets_what_they_missed(widget: ChatWidget, alice: User):
    online(alice)
    token, alice_token = new_visitor(widget), agent_token(alice)

    async def scenario() -> tuple[list[str], list[str]]:
        visitor, agent, chat_id = await open_chat(widget, token, alice_token)
        await visitor.close()
        # while the visitor is away the agent answers twice
        for i, text in enumerate(("Are you there?", "Your parcel left today")):
            await agent.send(
                {"type": "message", "chat_id": chat_id, "text": text, "client_id": f"m{i}"}
            )
            await agent.expect("message", chat_id=chat_id)
        back = visitor_socket(widget, token)
        await back.connect()
        hello = await back.expect("hello")
        first_id = hello["messages"][0]["id"]
        await back.send({"type": "sync", "after": first_id})
        missed = [(await back.expect("message"))["message"]["text"] for _ in range(2)]
        await back.close()
        await agent.close()
        return [m["text"] for m in hello["messages"]], missed

    history, missed = run(scenario)
    assert history == ["My order is late", "Are you there?", "Your parcel left today"]
    assert missed == ["Are you there?", "Your parcel left today"]


def test_an_ended_chat_asks_for_a_rating_stored_as_csat(widget: ChatWidget, alice: User):
    online(alice)
    token, alice_token = new_visitor(widget), agent_token(alice)

    async def scenario() -> dict[str, Any]:
        visitor, agent, chat_id = await open_chat(widget, token, alice_token)
        await agent.send({"type": "end", "chat_id": chat_id})
        await visitor.expect("state", state="ended")
        asked = await visitor.expect("rating")
        await visitor.send({"type": "rate", "score": 5, "comment": "Quick and kind"})
        await visitor.expect("rating", asked=False)
        await visitor.close()
        await agent.close()
        return asked

    assert run(scenario) == {"type": "rating", "asked": True}
    ticket = Ticket.objects.get()
    assert ticket.status == "solved"
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment) == (5, "Quick and kind")
    assert ChatSession.objects.get().rating_asked is True


def test_an_oversized_message_and_a_flood_are_refused_and_nothing_is_stored(
    widget: ChatWidget, alice: User, settings: Any
):
    online(alice)
    settings.CHAT_MAX_MESSAGE_CHARS = 20
    settings.CHAT_RATE_LIMIT_PER_MINUTE = 2
    token = new_visitor(widget)

    async def scenario() -> list[dict[str, Any]]:
        visitor = visitor_socket(widget, token)
        await visitor.connect()
        await visitor.expect("hello")
        errors = []
        await visitor.send({"type": "message", "text": "x" * 21, "client_id": "long"})
        errors.append(await visitor.expect("error"))
        await visitor.send({"type": "message", "text": "one", "client_id": "1"})
        await visitor.expect("message")
        await visitor.send({"type": "message", "text": "two", "client_id": "2"})
        await visitor.expect("message")
        await visitor.send({"type": "message", "text": "three", "client_id": "3"})
        errors.append(await visitor.expect("error"))
        await visitor.close()
        return errors

    errors = run(scenario)
    assert [e["code"] for e in errors] == ["message_too_long", "rate_limited"]
    assert list(Message.objects.order_by("id").values_list("body", flat=True)) == ["one", "two"]


def test_a_resent_reply_of_an_agent_is_stored_once_and_echoed_with_its_client_id(
    widget: ChatWidget, alice: User
):
    online(alice)
    token, alice_token = new_visitor(widget), agent_token(alice)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        visitor, agent, chat_id = await open_chat(widget, token, alice_token)
        for _ in range(2):
            await agent.send(
                {"type": "message", "chat_id": chat_id, "text": "Once", "client_id": "X"}
            )
        seen = await visitor.reply()
        echo = await agent.expect("message", chat_id=chat_id)
        # a visitor's own client id may look like anything: never taken for the agent's
        await visitor.send({"type": "message", "text": "Mine", "client_id": "a-Y"})
        await agent.expect("message", chat_id=chat_id)
        await agent.send({"type": "message", "chat_id": chat_id, "text": "Y", "client_id": "Y"})
        await visitor.reply()
        more = await agent.pending()
        await visitor.close()
        await agent.close()
        return seen, echo, more

    seen, echo, more = run(scenario)
    assert echo["message"]["client_id"] == "X"  # as sent, on both sockets
    assert seen["message"]["client_id"] == "X"
    assert Message.objects.filter(body="Once").count() == 1
    assert Message.objects.filter(body="Y").count() == 1
    assert [f["message"]["client_id"] for f in more if f["type"] == "message"] == ["Y"]


def test_the_agent_reads_the_transcript_with_notes_over_the_socket(
    widget: ChatWidget, alice: User, otto: User, billing: Any, api: Any
):
    online(alice)
    token, alice_token, otto_token = new_visitor(widget), agent_token(alice), agent_token(otto)
    alice_api = api(alice)

    async def scenario() -> dict[str, Any]:
        visitor, agent, chat_id = await open_chat(widget, token, alice_token)
        await agent.send({"type": "message", "chat_id": chat_id, "text": "Hi", "client_id": "1"})
        await visitor.reply()
        number = (await db(Ticket.objects.get)()).number
        note = await db(alice_api.post)(
            f"/tickets/{number}/messages", {"body": "VIP customer", "internal": True}
        )
        assert note.status_code == 201, note.content
        # a note reaches the agent live, marked, and never the visitor
        live = await agent.expect("message", chat_id=chat_id)
        while live["message"]["text"] == "Hi":  # the agent's own echo comes first
            live = await agent.expect("message", chat_id=chat_id)
        await agent.send({"type": "history", "chat_id": chat_id})
        whole = await agent.expect("history")
        first = whole["messages"][0]["id"]
        await agent.send({"type": "history", "chat_id": chat_id, "after": first})
        since = await agent.expect("history")
        heard_by_visitor = await visitor.pending()
        # an agent of another team may not read it
        outsider = agent_socket(otto_token)
        await outsider.connect()
        await outsider.expect("chats")
        await outsider.send({"type": "history", "chat_id": chat_id})
        refused = await outsider.expect("error")
        await outsider.close()
        await visitor.close()
        await agent.close()
        return {
            "live": live,
            "whole": whole,
            "since": since,
            "visitor": heard_by_visitor,
            "refused": refused,
            "chat_id": chat_id,
        }

    frames = run(scenario)
    assert frames["live"]["message"]["internal"] is True
    assert frames["live"]["message"]["text"] == "VIP customer"
    shown = [(m["author"], m["text"], m["internal"]) for m in frames["whole"]["messages"]]
    assert shown == [
        ("visitor", "My order is late", False),
        ("agent", "Hi", False),
        ("agent", "VIP customer", True),
    ]
    assert frames["whole"]["chat_id"] == frames["chat_id"]
    assert [m["text"] for m in frames["since"]["messages"]] == ["Hi", "VIP customer"]
    assert "VIP" not in str(frames["visitor"])
    assert frames["refused"]["code"] == "not_found"
    # the same over REST; and once the ticket moved to another team, not for Alice
    rest = alice_api.get(f"/chat/sessions/{frames['chat_id']}/messages", {"after": 0})
    assert [m["text"] for m in rest.json()] == ["My order is late", "Hi", "VIP customer"]
    ticket = Ticket.objects.get()
    actions.update_ticket(ticket, actions.TicketChanges(team=billing.pk, unassign=True), by=otto)
    assert alice_api.get(f"/chat/sessions/{frames['chat_id']}/messages").status_code == 404


def test_an_agent_sends_a_file_with_no_text_through_the_chat(
    widget: ChatWidget, alice: User, api: Any
):
    online(alice)
    token, alice_token = new_visitor(widget), agent_token(alice)
    alice_api = api(alice)

    async def scenario() -> tuple[dict[str, Any], Any, Any]:
        visitor, agent, chat_id = await open_chat(widget, token, alice_token)
        sent = await db(alice_api.upload)(
            f"/chat/sessions/{chat_id}/messages",
            {
                "client_id": "f1",
                "attachments": SimpleUploadedFile("guide.txt", b"Step 1", "text/plain"),
            },
        )
        seen = await visitor.reply()
        # an empty message without a file is still refused
        with_nothing = await db(alice_api.upload)(
            f"/chat/sessions/{chat_id}/messages", {"text": " ", "client_id": "f2"}
        )
        await visitor.close()
        await agent.close()
        return seen, sent, with_nothing

    seen, sent, with_nothing = run(scenario)
    assert sent.status_code == 201, sent.content
    assert (sent.json()["text"], sent.json()["client_id"]) == ("", "f1")
    assert (seen["message"]["text"], seen["message"]["html"]) == ("", "")
    assert [a["name"] for a in seen["message"]["attachments"]] == ["guide.txt"]
    assert Message.objects.get(pk=sent.json()["id"]).body == "guide.txt"
    assert (with_nothing.status_code, with_nothing.json()["code"]) == (422, "message_empty")


def test_a_malformed_frame_gets_an_error_and_writes_nothing(widget: ChatWidget):
    token = new_visitor(widget)

    async def scenario() -> list[dict[str, Any]]:
        visitor = visitor_socket(widget, token)
        await visitor.connect()
        await visitor.expect("hello")
        await visitor.app.send_input({"type": "websocket.receive", "text": "not json"})
        first = await visitor.expect("error")
        await visitor.send({"type": "warp"})
        second = await visitor.expect("error")
        await visitor.close()
        return [first, second]

    with nothing_written():
        errors = run(scenario)
    assert [e["code"] for e in errors] == ["bad_frame", "bad_frame"]


def test_messages_reach_the_agent_assigned_by_accepting(widget: ChatWidget, alice: User):
    online(alice)
    token, alice_token = new_visitor(widget), agent_token(alice)

    async def scenario() -> None:
        visitor, agent, _ = await open_chat(widget, token, alice_token)
        await visitor.close()
        await agent.close()

    run(scenario)
    ticket = Ticket.objects.get()
    assert ticket.assignee == alice
    assert ticket.status == "open"
    assert actions  # the ticket changes went through the ticket actions (events recorded)
    assert ticket.events.filter(kind="assigned").exists()


def test_a_reply_after_the_chat_ended_also_goes_by_e_mail(widget: ChatWidget, alice: User):
    from django.core import mail

    from opora.inbox.delivery import deliver
    from opora.inbox.models import Delivery

    online(alice)
    token = new_visitor(widget, name="Vera", email="vera@shop.test")
    alice_token = agent_token(alice)

    async def scenario() -> None:
        visitor, agent, chat_id = await open_chat(widget, token, alice_token)
        await agent.send({"type": "end", "chat_id": chat_id})
        await visitor.expect("state", state="ended")
        await visitor.close()
        await agent.close()

    run(scenario)
    ticket = Ticket.objects.get()
    # the agent answers later on the ticket page, after the visitor has gone
    actions.add_message(ticket, by=alice, body="Found it: the parcel was held at customs.")
    notice = Delivery.objects.get(channel="web")
    assert Delivery.objects.get(channel="chat").state == "sent"
    assert (notice.address, notice.kind) == ("vera@shop.test", "reply")
    assert deliver(notice.pk) == "sent" or notice.state == "sent"
    sent = [m for m in mail.outbox if "vera@shop.test" in m.to]
    assert len(sent) == 1
    assert "held at customs" in sent[0].body
    assert f"/portal/requests/{ticket.number}" in sent[0].body


def test_a_reply_during_the_chat_goes_only_to_the_widget(widget: ChatWidget, alice: User):
    from opora.inbox.models import Delivery

    online(alice)
    token = new_visitor(widget, name="Vera", email="vera@shop.test")
    alice_token = agent_token(alice)

    async def scenario() -> None:
        visitor, agent, _chat_id = await open_chat(widget, token, alice_token)
        await visitor.close()
        await agent.close()

    run(scenario)
    actions.add_message(Ticket.objects.get(), by=alice, body="One moment, please.")
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["chat"]
