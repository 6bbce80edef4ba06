"""What became of each reply is visible: on the agent's ticket page and in the API, with
"Send again" for a failed one; the outbox is counted in /metrics."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opora.core.tasks import run_queued_tasks
from opora.inbox.email.models import Mailbox
from opora.inbox.email.pipeline import receive_and_process
from opora.inbox.models import Delivery
from opora.tickets import actions
from opora.tickets.models import Ticket
from tests.inbox.conftest import build_mail
from tests.inbox.servers import Sink
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(
    sink: Sink, mailbox: Mailbox, dana: Any, alice: Any, django_capture_on_commit_callbacks: Any
) -> Delivery:
    """Alice's reply to Dana's mail, refused for good by Dana's mail server."""
    with django_capture_on_commit_callbacks(execute=True):
        receive_and_process(build_mail(), mailbox=mailbox)
    ticket = Ticket.objects.get()
    run_queued_tasks()  # the acknowledgement goes out
    sink.rcpt_answer = "550 5.1.1 No such user"
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="Please restart the printer.")
    run_queued_tasks()
    return Delivery.objects.get(kind="reply")


def _page(client: Client, ticket: Ticket) -> str:
    response = client.get(f"/agent/tickets/{ticket.number}")
    assert response.status_code == 200
    return response.content.decode()


def test_a_failed_reply_shows_why_and_can_be_sent_again(
    failed: Delivery,
    sink: Sink,
    alice: Any,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a reply the customer's server refused
    assert failed.state == "failed" and "550" in failed.error
    client.force_login(alice)
    page = _page(client, failed.ticket)
    assert 'data-delivery="failed"' in page and "Not delivered" in page
    assert "No such user" in page
    # when the server accepts mail again and Alice sends the reply again
    sink.rcpt_answer = "250 OK"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/agent/tickets/{failed.ticket.number}/deliveries/{failed.pk}/retry"
        )
    assert response.status_code == 302
    assert _page(client, failed.ticket).count('data-delivery="queued"') == 1
    run_queued_tasks()
    # then it is delivered, once, and the page says so
    assert len([m for m in sink.messages if b"Please restart the printer." in m]) == 1
    page = _page(client, failed.ticket)
    assert 'data-delivery="sent"' in page and "Send again" not in page


def test_the_page_speaks_russian_to_a_russian_agent(failed: Delivery, alice: Any) -> None:
    alice.language = "ru"
    alice.save(update_fields=["language"])
    client = Client()
    client.force_login(alice)
    page = _page(client, failed.ticket)
    assert "Не доставлено" in page and "Отправить снова" in page


def test_the_page_reads_every_messages_delivery_in_one_query(
    failed: Delivery, alice: Any, client: Client
) -> None:
    client.force_login(alice)
    _page(client, failed.ticket)  # warm caches (SLA configuration, session)
    with CaptureQueriesContext(connection) as one:
        _page(client, failed.ticket)
    for n in range(3):
        actions.add_message(failed.ticket, by=alice, body=f"Another answer {n}")
    with CaptureQueriesContext(connection) as four:
        _page(client, failed.ticket)
    delivery_reads = [q for q in four.captured_queries if '"inbox_delivery"' in q["sql"]]
    assert len(delivery_reads) == 1
    assert len(four.captured_queries) == len(one.captured_queries)


def test_only_agents_who_see_the_ticket_may_send_again(
    failed: Delivery, otto: Any, billing: Any, dana: Any, api: Any, client: Client
) -> None:
    number = failed.ticket.number
    # an agent of another team, on the page and in the API: not found
    client.force_login(otto)
    with nothing_written(failed):
        page = client.post(f"/agent/tickets/{number}/deliveries/{failed.pk}/retry")
    assert page.status_code == 404
    otto_api = api(otto)
    with nothing_written(failed):
        answer = otto_api.post(f"/tickets/{number}/deliveries/{failed.pk}/retry")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    # the customer, on her own ticket: agents only
    dana_api = api(dana)
    with nothing_written(failed):
        answer = dana_api.post(f"/tickets/{number}/deliveries/{failed.pk}/retry")
    assert (answer.status_code, answer.json()["code"]) == (403, "agents_only")


def test_a_csrf_less_post_is_refused(failed: Delivery, alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    with nothing_written(failed):
        response = client.post(
            f"/agent/tickets/{failed.ticket.number}/deliveries/{failed.pk}/retry"
        )
    assert response.status_code == 403


def test_the_api_shows_deliveries_to_agents_and_sends_again(
    failed: Delivery,
    sink: Sink,
    alice: Any,
    dana: Any,
    api: Any,
    make_ticket: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    number = failed.ticket.number
    agent = api(alice)
    rows = agent.get(f"/tickets/{number}/messages").json()
    customer_row, reply_row = rows
    assert customer_row["delivery"] is None
    assert reply_row["delivery"] == {
        "id": failed.pk,
        "channel": "email",
        "state": "failed",
        "error": failed.error,
    }
    # the customer sees her conversation, not the desk's delivery details
    assert [r["delivery"] for r in api(dana).get(f"/tickets/{number}/messages").json()] == [
        None,
        None,
    ]
    # a delivery of another ticket is not found under this one
    other = make_ticket(dana)
    with nothing_written(failed):
        answer = agent.post(f"/tickets/{other.number}/deliveries/{failed.pk}/retry")
    assert answer.status_code == 404
    # sending again
    sink.rcpt_answer = "250 OK"
    with django_capture_on_commit_callbacks(execute=True):
        answer = agent.post(f"/tickets/{number}/deliveries/{failed.pk}/retry")
    assert answer.status_code == 200
    assert answer.json() == {"id": failed.pk, "channel": "email", "state": "queued", "error": ""}
    # a delivery that is not failed cannot be sent again
    with nothing_written(failed):
        again = agent.post(f"/tickets/{number}/deliveries/{failed.pk}/retry")
    assert (again.status_code, again.json()["code"]) == (422, "delivery_not_failed")
    run_queued_tasks()
    rows = agent.get(f"/tickets/{number}/messages").json()
    assert rows[1]["delivery"]["state"] == "sent"


def test_a_new_reply_answers_with_its_queued_delivery(
    api: Any, alice: Any, make_ticket: Any, dana: Any
) -> None:
    ticket = make_ticket(dana, channel="email")
    answer = api(alice).post(f"/tickets/{ticket.number}/messages", {"body": "On it."})
    assert answer.status_code == 201
    assert answer.json()["delivery"]["state"] == "queued"
    note = api(alice).post(f"/tickets/{ticket.number}/messages", {"body": "x", "internal": True})
    assert note.json()["delivery"] is None


def test_metrics_count_the_outbox_and_the_attempts(failed: Delivery, client: Client) -> None:
    text = client.get("/metrics").content.decode()
    assert 'opora_deliveries{channel="email",state="failed"} 1.0' in text
    assert 'opora_deliveries{channel="email",state="sent"} 1.0' in text  # the acknowledgement
    assert 'opora_deliveries{channel="web",state="queued"} 0.0' in text
    assert 'opora_delivery_attempts_total{channel="email",result="failed"}' in text
    assert 'opora_delivery_attempts_total{channel="email",result="sent"}' in text
