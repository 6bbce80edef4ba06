"""The benchmarks' bulk data (bench/dataset.py) stays loadable as the schema grows: a
new NOT NULL column without a database default fails here, not an hour into a
benchmark. The rows must also read back through the product like any ticket."""

from __future__ import annotations

import pytest
from bench.dataset import counts, generate, people

from opora.sla.models import TicketSla
from opora.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_generated_tickets_read_like_any_other(client) -> None:
    ids = people()
    generate(30, 3, ids)
    assert counts() == {"tickets": 30, "messages": 90, "events": 90}
    assert TicketSla.objects.count() == 30
    ticket = Ticket.objects.order_by("number").first()
    assert ticket is not None and ticket.custom_fields == {}
    assert ticket.messages.count() == 3
    answer = client.get(
        "/api/v1/tickets?limit=50", HTTP_AUTHORIZATION=f"Bearer {ids['agent_token']}"
    )
    assert answer.status_code == 200
    assert len(answer.json()["items"]) == 30
