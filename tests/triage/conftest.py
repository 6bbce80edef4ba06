"""A small solved history for triage: four intents, each its own team, and tags on
some of them (two often enough to learn, one too rare)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bench.triage_corpus import generate, import_history
from django.test import Client

from opora.accounts.models import Team, User
from opora.core.tasks import run_queued_tasks
from opora.tickets import actions
from opora.tickets.models import Tag, Ticket
from tests.conftest import PASSWORD

FEW = ["billing-double-charge", "login-password", "delivery-late", "api-errors"]
TAGGED = {"billing-double-charge": "refund", "delivery-late": "shipping"}
RARE = "vip"  # on 3 tickets: fewer than the 10 a tag needs


@pytest.fixture
def history(ada: User, dana: User) -> dict[str, Team]:
    """120 solved tickets over four intents; "refund" on the double charges, "shipping"
    on the late deliveries, "vip" on three tickets."""
    teams = import_history(generate(120, seed=5, intents=FEW), admin=ada, requester=dana)
    tags = {name: Tag.objects.create(name=name) for name in [*TAGGED.values(), RARE]}
    links = [
        Ticket.tags.through(ticket_id=pk, tag=tags[name])
        for intent, name in TAGGED.items()
        for pk in Ticket.objects.filter(team=teams[intent]).values_list("pk", flat=True)
    ]
    rare = Ticket.objects.order_by("pk").values_list("pk", flat=True)[:3]
    links += [Ticket.tags.through(ticket_id=pk, tag=tags[RARE]) for pk in rare]
    Ticket.tags.through.objects.bulk_create(links)
    return teams


def open_request(requester: User, subject: str, body: str, capture: Callable[..., Any]) -> Ticket:
    """A customer's new ticket, with the suggestion job run."""
    with capture(execute=True):
        ticket = actions.create_ticket(
            requester=requester, subject=subject, body=body, by=requester, channel="web"
        )
    run_queued_tasks()
    ticket.refresh_from_db()
    return ticket


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


DOUBLE_CHARGE = (
    "Charged twice this month",
    "Hello, you billed me two times for the Pro plan, refund the extra charge please.",
)
