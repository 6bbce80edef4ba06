"""The queue's badges are cached until a ticket changes, and stay right after every change
a team lead makes; the pager walks pages by cursor, never by counting."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opora.agent.queues import QUEUES, _count_queues
from opora.tickets import actions, counters
from opora.tickets.models import Ticket


def _badges(client, url="/agent/?view=open"):
    response = client.get(url)
    assert response.status_code == 200
    return {q.key: n for q, n in response.context["queues"]}


def _listed(response):
    return [t.number for t in response.context["page"].object_list]


def test_badges_stay_exact_through_create_assign_update_solve_and_merge(
    client, alice, bob, lena, dana, make_ticket
):
    # given a lead looking at the queue, whose badges are cached after the first load
    client.force_login(lena)
    _badges(client)
    steps = []
    first = make_ticket(dana, subject="First")
    steps.append("create")
    second = make_ticket(dana, subject="Second")
    steps.append("create")
    actions.update_ticket(first, actions.TicketChanges(assignee=lena.pk), by=lena)
    steps.append("assign")
    actions.update_ticket(second, actions.TicketChanges(status="pending", line=2), by=lena)
    steps.append("update")
    third = make_ticket(dana, subject="Third")
    actions.update_ticket(third, actions.TicketChanges(status="solved"), by=alice)
    steps.append("solve")
    fourth = make_ticket(dana, subject="Fourth")
    actions.merge_tickets(fourth, first, by=lena)
    steps.append("merge")
    Ticket.objects.filter(pk=second.pk).update(status="on_hold")
    steps.append("bulk SQL update")

    # then after the steps the badges are what counting now says, view by view
    badges = _badges(client)
    assert badges == _count_queues(lena)
    assert badges["mine"] == 1
    assert badges["on_hold"] == 1
    assert badges["solved"] == 2  # the solved one and the merged duplicate (closed)


@pytest.mark.parametrize(
    "change",
    ["create", "assign", "status", "line", "solve", "merge", "team member"],
)
def test_each_change_moves_the_badges_on_the_next_load(
    change, client, alice, bob, lena, otto, dana, make_ticket, billing
):
    # given two tickets and Alice's badges, cached
    one = make_ticket(dana, subject="One")
    two = make_ticket(dana, subject="Two")
    if change == "team member":
        actions.update_ticket(one, actions.TicketChanges(team=billing.pk), by=otto)
    client.force_login(alice)
    before = _badges(client)
    # when one thing changes
    if change == "create":
        make_ticket(dana, subject="Three")
    elif change == "assign":
        actions.update_ticket(one, actions.TicketChanges(assignee=alice.pk), by=alice)
    elif change == "status":
        actions.update_ticket(one, actions.TicketChanges(status="pending"), by=alice)
    elif change == "line":
        actions.update_ticket(one, actions.TicketChanges(line=3), by=alice)
    elif change == "solve":
        actions.update_ticket(one, actions.TicketChanges(status="solved"), by=alice)
    elif change == "merge":
        actions.merge_tickets(two, one, by=alice)
    else:
        billing.members.add(alice)  # she joins Billing: its ticket becomes hers to see
    # then the next load shows what counting says, not what was cached
    after = _badges(client)
    assert after == _count_queues(alice)
    assert after != before


def test_unchanged_tickets_are_not_counted_again(client, alice, dana, make_ticket):
    # given the queue loaded once
    make_ticket(dana)
    client.force_login(alice)
    client.get("/agent/")

    # when it is loaded again with nothing changed
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/agent/").status_code == 200

    # then no statement counts tickets (neither the badges nor the pager)
    counting = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counting if '"tickets_ticket"' in sql and "telephony" not in sql]


def test_a_slow_count_is_an_estimate_for_a_few_seconds_after_a_change(
    client, alice, dana, make_ticket, monkeypatch
):
    # given a desk counted as large (every desk is larger than zero tickets)
    monkeypatch.setattr(counters, "EXACT_UP_TO", 0)
    make_ticket(dana)
    client.force_login(alice)
    assert _badges(client)["open"] == 1
    # when a ticket arrives, the next load within the estimate window shows the old
    # count, marked as an estimate
    make_ticket(dana)
    response = client.get("/agent/?view=open")
    assert {q.key: n for q, n in response.context["queues"]}["open"] == 1
    assert response.context["counts_exact"] is False
    assert "≈" in response.content.decode()
    # and once the window has passed, it is counted again, exact
    monkeypatch.setattr(counters, "ESTIMATE_SECONDS", 0.0)
    response = client.get("/agent/?view=open")
    assert {q.key: n for q, n in response.context["queues"]}["open"] == 2
    assert response.context["counts_exact"] is True


def test_the_query_count_is_the_same_for_5_and_60_tickets(client, alice, dana, make_ticket):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/agent/?view=open&sort=-priority").status_code == 200
        return len(captured.captured_queries)

    client.force_login(alice)
    for i in range(5):
        make_ticket(dana, subject=f"Case {i}")
    client.get("/agent/?view=open")
    at_5 = queries()
    for i in range(55):
        make_ticket(dana, subject=f"More {i}")
    client.get("/agent/?view=open")  # the change is counted once
    at_60 = queries()
    assert at_5 == at_60


@pytest.mark.parametrize("sort", ["-updated", "-priority", "created", "due"])
def test_the_pager_walks_every_ticket_once_in_order(sort, client, alice, dana, make_ticket):
    # given 60 open tickets of mixed priorities
    priorities = ("low", "normal", "high", "urgent")
    made = [make_ticket(dana, subject=f"Case {i}", priority=priorities[i % 4]) for i in range(60)]
    client.force_login(alice)
    # when Alice follows "Next" to the end
    seen: list[int] = []
    url = f"/agent/?view=open&sort={sort}"
    pages = 0
    while url:
        response = client.get(url)
        seen += _listed(response)
        page = response.context["page"]
        url = f"/agent/?view=open&sort={sort}&after={page.next_cursor}" if page.next_cursor else ""
        pages += 1
    # then she saw every ticket once, in the order of one unpaged list
    assert pages == 3
    assert sorted(seen) == sorted(t.number for t in made)
    whole = client.get(f"/agent/?view=open&sort={sort}")
    assert _listed(whole) == seen[:25]


def test_a_broken_cursor_starts_from_the_top(client, alice, dana, make_ticket):
    make_ticket(dana)
    client.force_login(alice)
    for cursor in ("zzz", "W10", "WyJ4Il0", "!!!", "WzEsMiwzXQ"):
        response = client.get(f"/agent/?view=open&after={cursor}")
        assert response.status_code == 200
        assert len(_listed(response)) == 1


def test_the_pager_shows_the_views_count_and_the_way_back(client, alice, dana, make_ticket):
    for i in range(30):
        make_ticket(dana, subject=f"Case {i}")
    client.force_login(alice)
    first = client.get("/agent/?view=open")
    body = first.content.decode()
    assert "30 tickets" in body
    assert 'rel="next"' in body and 'rel="first"' not in body
    cursor = first.context["page"].next_cursor
    second = client.get(f"/agent/?view=open&after={cursor}").content.decode()
    assert 'rel="first"' in second and 'rel="next"' not in second
    # a filtered list is not counted
    filtered = client.get("/agent/?view=open&priority=urgent").content.decode()
    assert "30 tickets" not in filtered


def test_every_view_key_has_a_badge(client, alice):
    client.force_login(alice)
    assert set(_badges(client)) == {q.key for q in QUEUES}
