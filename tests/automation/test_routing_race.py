"""Two workers routing at once never give one agent more than the limit (PostgreSQL:
the agents' rows are locked while their load is counted and the ticket assigned)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from opora.accounts.actions import create_team
from opora.accounts.models import User
from opora.automation import routing
from opora.chat.actions import set_presence
from opora.tickets import actions
from opora.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_threads_never_exceed_capacity(ada: User, alice: User, dana: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    team = create_team(name="Desk", members=[alice.pk], by=ada)
    values: dict[str, Any] = {
        "strategy": "least_loaded",
        "max_email": 1,
        "max_chat": 1,
        "max_messengers": 1,
        "respect_hours": False,
        "calendar": None,
        "respect_line": False,
        "reassign_after": None,
    }
    routing.configure_routing(by=ada, team_id=team.pk, values=routing.RoutingInput(**values))
    set_presence(alice, "online")
    tickets = [
        actions.create_ticket(requester=dana, by=ada, subject=f"T{i}", body="x", team=team)
        for i in range(6)
    ]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(assignee=None)
    start = threading.Barrier(len(tickets))

    def work(ticket_id: int) -> None:
        try:
            start.wait()
            routing.route_ticket(ticket_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(t.pk,)) for t in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Ticket.objects.filter(assignee=alice).count() == 1
