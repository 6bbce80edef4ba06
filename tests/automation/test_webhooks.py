"""Outbound webhooks: signed JSON, verified by a real local server; retries on 500."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opora.automation import webhooks
from opora.automation.models import DeliveryState, Webhook, WebhookDelivery
from opora.core.tasks import run_queued_tasks
from opora.sla.webhooks import verify
from opora.tickets import actions

SECRET = "s3cret-for-tests"


class Receiver:
    """A local endpoint: answers the queued status codes in turn (then 200), keeps requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code == 200 else b"boom")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def payloads(self) -> list[dict[str, object]]:
        return [json.loads(body) for _headers, body in self.requests]


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def hook(db, receiver):
    return Webhook.objects.create(
        name="CRM",
        url=receiver.url,
        secret=SECRET,
        events=["created", "updated", "replied", "solved"],
    )


def test_events_arrive_signed_and_verifiable(
    django_capture_on_commit_callbacks, make_ticket, dana, alice, hook, receiver
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(dana, team=None)
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body="On it", status="solved")
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    events = [p["event"] for p in receiver.payloads()]
    assert sorted(events) == [
        "ticket.created",
        "ticket.replied",
        "ticket.solved",
        "ticket.updated",
    ]
    for headers, body in receiver.requests:
        assert headers["X-Opora-Signature"].startswith("sha256=")
        assert verify(
            SECRET,
            headers["X-Opora-Timestamp"],
            headers["X-Opora-Signature"],
            body,
            now=time.time(),
        )
        assert not verify(
            "wrong",
            headers["X-Opora-Timestamp"],
            headers["X-Opora-Signature"],
            body,
            now=time.time(),
        )
    created = receiver.payloads()[events.index("ticket.created")]
    assert created["ticket"]["number"] == ticket.number
    replied = receiver.payloads()[events.index("ticket.replied")]
    assert replied["message"]["body"] == "On it"
    assert WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count() == 4


def test_a_500_is_retried_with_back_off_and_logged(make_ticket, dana, hook, receiver):
    receiver.answers = [500, 503]
    ticket = make_ticket(dana)
    row = webhooks.queue_for_webhook(hook.pk, "trigger", ticket)
    assert row is not None
    assert webhooks.attempt(row.pk) == DeliveryState.QUEUED
    row.refresh_from_db()
    assert (row.attempts, row.status_code, row.response) == (1, 500, "boom")
    # the next attempt is queued for later, not now
    from django_tasks_db.models import DBTaskResult

    later = DBTaskResult.objects.filter(task_path__endswith="webhooks.deliver_task").last()
    assert later is not None and later.run_after is not None
    webhooks.attempt(row.pk)
    assert webhooks.attempt(row.pk) == DeliveryState.DELIVERED
    row.refresh_from_db()
    assert (row.attempts, row.status_code, row.error) == (3, 200, "")
    assert len(receiver.requests) == 3
    # all three were the same delivery, signed each time
    assert {p["delivery"] for p in receiver.payloads()} == {row.pk}


def test_gives_up_after_the_last_attempt_and_not_at_all_on_a_4xx(make_ticket, dana, hook, receiver):
    receiver.answers = [500] * webhooks.MAX_ATTEMPTS + [404]
    ticket = make_ticket(dana)
    row = webhooks.queue_for_webhook(hook.pk, "trigger", ticket)
    assert row is not None
    for _ in range(webhooks.MAX_ATTEMPTS):
        state = webhooks.attempt(row.pk)
    assert state == DeliveryState.FAILED
    refused = webhooks.queue_for_webhook(hook.pk, "trigger", ticket)
    assert refused is not None
    assert webhooks.attempt(refused.pk) == DeliveryState.FAILED
    refused.refresh_from_db()
    assert (refused.attempts, refused.status_code) == (1, 404)


def test_send_test_answers_at_once(hook, receiver):
    row = webhooks.send_test(hook)
    assert (row.state, row.status_code, row.event) == (DeliveryState.DELIVERED, 200, "test")
    assert receiver.payloads()[0]["event"] == "webhook.test"


def test_an_unreachable_endpoint_is_an_error_on_the_row(db):
    hook = Webhook.objects.create(name="x", url="http://127.0.0.1:9/none", secret="s", events=[])
    row = webhooks.send_test(hook)
    assert row.state == DeliveryState.FAILED and row.status_code is None and row.error


def test_only_chosen_events_and_active_endpoints(
    django_capture_on_commit_callbacks, make_ticket, dana, hook, receiver
):
    hook.events = ["solved"]
    hook.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(dana)
    assert WebhookDelivery.objects.count() == 0
