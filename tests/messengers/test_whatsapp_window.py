"""WhatsApp's 24-hour window: free text inside it, a clear refusal and an offered
template outside it, on the ticket page and through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from opora.accounts.models import User
from opora.inbox.models import Delivery, DeliveryState
from opora.messengers.models import Conversation, WhatsAppNumber, WhatsAppTemplateReply
from opora.tickets.actions import add_message
from opora.tickets.models import Message, Ticket
from tests.messengers.whatsapp_fixtures import CUSTOMER, notification, text_message
from tests.messengers.whatsapp_server import WhatsAppServer
from tests.writes import nothing_written


def _ticket_past_the_window(wa_number: WhatsAppNumber, post_whatsapp: Any) -> Ticket:
    post_whatsapp(wa_number, notification(messages=[text_message("My order is late")]))
    Conversation.objects.update(last_inbound_at=timezone.now() - timedelta(hours=25))
    return Ticket.objects.get()


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_window_is_counted_from_the_customers_message_time(
    wa_number: WhatsAppNumber, post_whatsapp: Any, api: Any, alice: User
) -> None:
    sent = int((timezone.now() - timedelta(hours=2)).timestamp())
    post_whatsapp(wa_number, notification(messages=[text_message("Hi", at=sent)]))
    ticket = Ticket.objects.get()
    answer = api(alice).get(f"/tickets/{ticket.number}/whatsapp-window").json()
    assert answer["open"] is True
    closes = datetime.fromisoformat(answer["closes_at"])
    assert abs((closes - timezone.now()).total_seconds() - 22 * 3600) < 60
    assert answer["templates"] == ["hello_again", "order_update"]


def test_a_free_text_reply_outside_the_window_is_refused_by_the_api_and_writes_nothing(
    wa_number: WhatsAppNumber, post_whatsapp: Any, api: Any, alice: User
) -> None:
    ticket = _ticket_past_the_window(wa_number, post_whatsapp)
    client = api(alice)
    with nothing_written(ticket):
        answer = client.post(f"/tickets/{ticket.number}/messages", {"body": "Sorry for the wait"})
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "whatsapp_window_closed"
    assert "24-hour window closed on" in body["detail"]
    assert "whatsapp-template" in body["detail"]
    # An internal note is still fine: it goes nowhere.
    note = client.post(f"/tickets/{ticket.number}/messages", {"body": "Late", "internal": True})
    assert note.status_code == 201


def test_the_ticket_page_tells_the_agent_and_sends_a_template_instead(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    ticket = _ticket_past_the_window(wa_number, post_whatsapp)
    page = _signed_in(alice)
    html = page.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-whatsapp-window="closed"' in html
    assert "24-hour window closed on" in html
    assert 'value="order_update"' in html

    # The composer refuses free text with the same words, and stores nothing.
    with nothing_written(ticket):
        refused = page.post(
            f"/agent/tickets/{ticket.number}/reply", {"kind": "reply", "body": "Hi"}
        )
    assert refused.status_code == 400
    assert "24-hour window closed on" in refused.content.decode()

    answer = run_jobs(
        lambda: page.post(
            f"/agent/tickets/{ticket.number}/whatsapp-template",
            {"name": "order_update", "language": "en_US", "params": "Maria\nA-1042"},
        )
    )
    assert answer.status_code == 302
    [sent] = whatsapp_api.messages()
    assert sent["to"] == CUSTOMER
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "order_update"
    assert sent["template"]["language"]["code"] == "en_US"
    [body] = sent["template"]["components"]
    assert [p["text"] for p in body["parameters"]] == ["Maria", "A-1042"]
    message = Message.objects.filter(ticket=ticket).latest("id")
    assert "order_update" in message.body
    assert Delivery.objects.get(ticket_message=message).state == DeliveryState.SENT


def test_the_template_api_checks_the_template_language_and_parameters(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    api: Any,
    alice: User,
    bob: User,
) -> None:
    ticket = _ticket_past_the_window(wa_number, post_whatsapp)
    client = api(alice)
    url = f"/tickets/{ticket.number}/whatsapp-template"
    with nothing_written(ticket):
        unknown = client.post(url, {"name": "not_approved", "language": "en_US"})
        language = client.post(url, {"name": "hello_again", "language": "xx_YY"})
        params = client.post(url, {"name": "hello_again", "language": "ru", "params": [""]})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_template")
    assert (language.status_code, language.json()["code"]) == (422, "invalid_template_language")
    assert (params.status_code, params.json()["code"]) == (422, "invalid_template_params")

    created = run_jobs(lambda: client.post(url, {"name": "hello_again", "language": "ru"}))
    assert created.status_code == 201, created.content
    assert created.json()["delivery"]["state"] == "queued"
    assert WhatsAppTemplateReply.objects.get().name == "hello_again"
    assert whatsapp_api.messages()[-1]["template"]["name"] == "hello_again"


def test_whatsapp_saying_131047_closes_the_window(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    alice: User,
) -> None:
    post_whatsapp(wa_number, notification(messages=[text_message("Hi")]))
    ticket = Ticket.objects.get()
    whatsapp_api.refuse[CUSTOMER] = 131047
    run_jobs(lambda: add_message(ticket, by=alice, body="An answer WhatsApp refuses"))
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 1
    assert "24-hour window is closed" in delivery.error
    html = _signed_in(alice).get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'data-whatsapp-window="closed"' in html


def test_a_desk_message_that_is_not_an_agents_fails_outside_the_window(
    wa_number: WhatsAppNumber,
    whatsapp_api: WhatsAppServer,
    post_whatsapp: Any,
    run_jobs: Any,
    ada: User,
) -> None:
    from opora.tickets.actions import add_automated_reply

    ticket = _ticket_past_the_window(wa_number, post_whatsapp)
    run_jobs(
        lambda: add_automated_reply(ticket, by=ada, body="Your ticket was solved.", deliver=True)
    )
    delivery = Delivery.objects.get(ticket=ticket)
    assert delivery.state == DeliveryState.FAILED
    assert "only a template" in delivery.error
    assert whatsapp_api.messages() == []
