"""The VK Callback API's refusals and repeats, and what happens when VK cannot be
reached or the person does not take the community's messages."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.test import Client

from opora.accounts.models import User
from opora.inbox.delivery import deliver
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers.models import Conversation, VkCommunity, VkEvent
from opora.messengers.tasks import sweep_vk_events_task
from opora.tickets.actions import add_message
from opora.tickets.models import Message, Ticket
from tests.messengers.vk_fixtures import CUSTOMER_ID, event, message_event
from tests.messengers.vk_server import GROUP_ID, VkServer
from tests.writes import nothing_written


def test_a_forged_event_is_refused_and_stores_nothing(
    vk_community: VkCommunity, post_event: Any, caplog: Any
) -> None:
    wrong = message_event("let me in")
    wrong["secret"] = "guessed"
    missing = message_event("let me in")
    del missing["secret"]
    with nothing_written(vk_community):
        assert post_event(vk_community, wrong).status_code == 403
        answer = post_event(vk_community, missing)
        other = Client().post(
            f"/channels/vk/{vk_community.pk + 100}/callback",
            json.dumps(message_event("hi")),
            content_type="application/json",
        )
    assert answer.status_code == 403
    assert answer.json()["code"] == "wrong_secret"
    assert other.status_code == 403
    assert "guessed" not in caplog.text


def test_bad_bodies_get_a_clear_4xx(vk_community: VkCommunity, post_event: Any) -> None:
    no_event_id = message_event("x")
    del no_event_id["event_id"]
    another_group = message_event("x")
    another_group["group_id"] = GROUP_ID + 1
    with nothing_written(vk_community):
        assert post_event(vk_community, b"{not json").status_code == 400
        assert post_event(vk_community, "[1, 2]").status_code == 400
        assert post_event(vk_community, {"secret": "x"}).status_code == 400
        assert post_event(vk_community, no_event_id).status_code == 400
        assert post_event(vk_community, another_group).status_code == 400
        deep = message_event("x")
        deep["object"]["message"]["payload"] = json.loads("[" * 40 + "]" * 40)
        assert post_event(vk_community, deep).status_code == 400
        big = message_event("x" * (1024 * 1024 + 10))
        assert post_event(vk_community, big).status_code == 413
        assert Client().get(f"/channels/vk/{vk_community.pk}/callback").status_code == 405


def test_an_event_vk_sends_twice_is_stored_once(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any
) -> None:
    doc = vk_api.add_file("d/once.txt", b"once")
    attachments = [{"type": "doc", "doc": {"id": 3, "owner_id": 1, "title": "a.txt", "url": doc}}]
    again = message_event("twice?", attachments=attachments, event_id="ev-twice")
    first = run_jobs(lambda: post_event(vk_community, again))
    second = run_jobs(lambda: post_event(vk_community, again))
    assert first.content == second.content == b"ok"
    assert Message.objects.count() == 1
    assert VkEvent.objects.filter(event_id="ev-twice").count() == 1
    assert len(vk_api.sent("users.get")) == 1  # not taken in again
    # The same message under another event id (VK's own retry) is still one message.
    run_jobs(lambda: post_event(vk_community, {**again, "event_id": "ev-twice-2"}))
    assert Message.objects.count() == 1


def test_events_of_other_types_are_logged_and_ignored(
    vk_community: VkCommunity, post_event: Any, run_jobs: Any, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="opora.messengers")
    for kind, obj in (
        ("group_join", {"user_id": 5, "join_type": "join"}),
        ("message_typing_state", {"state": "typing", "from_id": 5, "to_id": -GROUP_ID}),
        ("something_new", {"a": [1, 2]}),
    ):
        answer = run_jobs(lambda kind=kind, obj=obj: post_event(vk_community, event(kind, obj)))
        assert answer.status_code == 200
        assert answer.content == b"ok"
    assert not Ticket.objects.exists()
    assert set(VkEvent.objects.values_list("outcome", flat=True)) == {"ignored"}
    assert "ignored (type group_join)" in caplog.text
    assert "ignored (type something_new)" in caplog.text


def test_a_person_without_permission_is_marked_unreachable_and_the_ticket_shows_it(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any, alice: User
) -> None:
    run_jobs(lambda: post_event(vk_community, message_event("Help")))
    ticket = Ticket.objects.get()
    vk_api.denied.add(CUSTOMER_ID)
    run_jobs(lambda: add_message(ticket, by=alice, body="Are you there?"))
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.FAILED
    assert "VK error 901" in delivery.error
    assert "unreachable" in delivery.error
    chat = Conversation.objects.get(channel="vk", chat_id=str(CUSTOMER_ID))
    assert chat.unreachable_at is not None
    client = Client()
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-delivery="failed"' in page
    assert "unreachable" in page

    # Later replies fail at once, without asking VK again ...
    calls = len(vk_api.calls)
    run_jobs(lambda: add_message(ticket, by=alice, body="Hello?"))
    assert len(vk_api.calls) == calls
    # ... until the person writes again.
    vk_api.denied.clear()
    run_jobs(lambda: post_event(vk_community, message_event("I am back")))
    assert Conversation.objects.get(pk=chat.pk).unreachable_at is None
    run_jobs(lambda: add_message(ticket, by=alice, body="Welcome back"))
    assert vk_api.sent("messages.send")[-1].params["message"] == "Welcome back"


def test_message_deny_and_allow_mark_the_chat(
    vk_community: VkCommunity, post_event: Any, run_jobs: Any
) -> None:
    run_jobs(lambda: post_event(vk_community, message_event("Help")))
    chat = Conversation.objects.get()
    run_jobs(lambda: post_event(vk_community, event("message_deny", {"user_id": CUSTOMER_ID})))
    chat.refresh_from_db()
    assert chat.unreachable_at is not None
    run_jobs(
        lambda: post_event(
            vk_community, event("message_allow", {"user_id": CUSTOMER_ID, "key": "x"})
        )
    )
    chat.refresh_from_db()
    assert chat.unreachable_at is None


def test_a_failing_server_is_retried_with_backoff_and_the_failure_shows_on_the_ticket(
    vk_community: VkCommunity,
    vk_api: VkServer,
    post_event: Any,
    run_jobs: Any,
    alice: User,
    settings: Any,
) -> None:
    settings.DELIVERY_ATTEMPTS = 3
    run_jobs(lambda: post_event(vk_community, message_event("Help")))
    ticket = Ticket.objects.get()
    vk_api.failing = 1
    run_jobs(lambda: add_message(ticket, by=alice, body="First try fails"))
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.QUEUED
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is not None
    assert "did not answer with JSON" in delivery.error
    vk_community.refresh_from_db()
    assert "did not answer with JSON" in vk_community.last_error

    # The backoff has run out: the next attempt goes through, once.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    assert deliver(delivery.pk) == "sent"
    [sent, again] = vk_api.sent("messages.send")
    assert sent.params["random_id"] == again.params["random_id"]
    vk_community.refresh_from_db()
    assert vk_community.last_error == ""

    # A VK error that trying again may mend (too many requests) is retried too.
    vk_api.errors["messages.send"] = (6, "Too many requests per second")
    add_message(ticket, by=alice, body="Busy")
    busy = Delivery.objects.filter(ticket=ticket).latest("id")
    assert deliver(busy.pk) == "retry"
    del vk_api.errors["messages.send"]

    # A server that is gone: every attempt fails; after the last the ticket shows it.
    add_message(ticket, by=alice, body="Nobody listens")
    failing = Delivery.objects.filter(ticket=ticket).latest("id")
    vk_api.stop()
    results = []
    for _ in range(3):
        Delivery.objects.filter(pk=failing.pk).update(next_attempt_at=None)
        results.append(deliver(failing.pk))
    assert results == ["retry", "retry", "failed"]
    failing.refresh_from_db()
    assert failing.state == DeliveryState.FAILED
    assert "ClientConnectorError" in failing.error or "Connect" in failing.error
    assert ticket.events.filter(kind="delivery_failed").exists()


def test_a_refused_token_fails_the_delivery_at_once(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any, alice: User
) -> None:
    run_jobs(lambda: post_event(vk_community, message_event("Help")))
    ticket = Ticket.objects.get()
    vk_api.token = "another"
    run_jobs(lambda: add_message(ticket, by=alice, body="Hi"))
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.FAILED
    assert "VK error 5" in delivery.error
    assert vk_community.token not in delivery.error


def test_an_event_whose_job_stopped_is_taken_in_by_the_sweep(
    vk_community: VkCommunity, vk_api: VkServer, post_event: Any, run_jobs: Any
) -> None:
    from datetime import timedelta

    from opora.core import clock

    post_event(vk_community, message_event("Lost job"))  # its job never ran
    VkEvent.objects.update(received_at=clock.now() - timedelta(minutes=10))
    assert run_jobs(lambda: sweep_vk_events_task.call()) == 1
    assert Ticket.objects.get().subject == "Lost job"
    assert run_jobs(lambda: sweep_vk_events_task.call()) == 0
