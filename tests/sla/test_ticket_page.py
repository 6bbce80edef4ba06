"""The agent's ticket page shows the SLA clock: due times, countdowns and the state."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opora.sla.tasks import check_sla
from opora.tickets import actions
from tests.sla.conftest import msk


def test_the_ticket_page_shows_due_times_and_the_breached_state(
    client, policy, make_ticket, dana, alice, clock
):
    # given a ticket opened Monday 09:00 (first response due 13:00) left unanswered
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    actions.update_ticket(ticket, actions.TicketChanges(assignee=alice.pk), by=alice)
    clock.move_to(msk(2026, 3, 2, 13, 30))
    check_sla.call()
    client.force_login(alice)

    # when
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()

    # then
    assert "First response" in page
    assert 'data-countdown="2026-03-02T10:00:00+00:00"' in page  # 13:00 Moscow
    assert "sla-state-breached" in page
    assert ">Breached<" in page
    assert "overdue by" in page


def test_a_ticket_on_track_shows_time_left_without_extra_queries(
    client, policy, make_ticket, dana, alice, clock
):
    # given a fresh ticket
    clock.move_to(msk(2026, 3, 2, 9, 0))
    ticket = make_ticket(dana)
    client.force_login(alice)
    url = f"/agent/tickets/{ticket.number}"
    client.get(url)

    # when
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content.decode()
    for _ in range(3):
        actions.add_message(ticket, by=dana, body="any news?")
    with CaptureQueriesContext(connection) as later:
        client.get(url)

    # then: the clock is on track and costs the same queries however long the thread
    assert ">On track<" in page
    assert "4\xa0hours" in page
    assert len(first.captured_queries) == len(later.captured_queries)
