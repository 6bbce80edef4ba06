"""The ticket list's filters that used to walk every ticket: a tag (starts from the tag's
rows), the text filter (answered by the search index), and count=true (cached until a
ticket changes, exact on a small desk)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opora.tickets import actions, counters
from opora.tickets.models import Ticket


def _numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["items"]]


@pytest.fixture
def tickets(make_ticket, alice, dana, charlie):
    def build(n: int, start: int = 0) -> list[Ticket]:
        made = []
        for i in range(start, start + n):
            t = make_ticket(
                dana if i % 2 else charlie,
                subject=f"Printer number {i} jams" if i % 5 else f"Invoice {i} is wrong",
                body="The paper tray is empty" if i % 3 else "The screen stays dark",
            )
            actions.update_ticket(t, actions.TicketChanges(tags=[f"t{i % 3}"]), by=alice)
            made.append(t)
        return made

    return build


def test_the_text_filter_finds_words_in_any_form_and_order(api, alice, tickets):
    made = tickets(10)
    client = api(alice)

    def found(q: str) -> set[int]:
        return set(_numbers(client.get("/tickets", {"q": q, "limit": 100})))

    invoices = {t.number for i, t in enumerate(made) if i % 5 == 0}
    dark = {t.number for i, t in enumerate(made) if i % 3 == 0}
    assert found("invoice") == invoices
    assert found("INVOICES") == invoices  # another form of the word
    assert found("dark screen") == dark  # the message's words, in another order
    # every word in one place (the subject or one message), as ticket search matches
    assert found("invoice wrong") == invoices
    assert found("invoice dark") == set()
    assert found("printer 7") == {made[7].number}
    assert found(f"#{made[3].number}") == {made[3].number}
    assert found("zebra") == set()
    assert found("!!!") == set()  # no word to look for: nothing, never a 500
    assert found("9" * 40) == set()  # digits longer than a ticket number are just text


def test_a_word_many_tickets_hold_and_a_rare_one_beside_it_list_the_same_either_way(
    api, alice, tickets, monkeypatch
):
    # given a desk where "paper" is in many messages and "7" in one subject beside
    # words in many ("printer", "jams")
    made = tickets(12)
    client = api(alice)

    def found(q: str) -> set[int]:
        return set(_numbers(client.get("/tickets", {"q": q, "limit": 100})))

    paper = {t.number for i, t in enumerate(made) if i % 3}
    both = [found("paper"), found("printer 7 jams"), found(str(made[4].number))]
    # when the index's answer counts as "many" from three documents on (the list then
    # asks the index inside its own query instead of taking the ids)
    monkeypatch.setattr("opora.tickets.selectors._FEW_DOCUMENTS", 3)
    # then the same tickets are listed
    assert [found("paper"), found("printer 7 jams"), found(str(made[4].number))] == both
    assert both[0] == paper and both[1] == {made[7].number}
    assert made[4].number in both[2]  # digits: a word, and the ticket's own number


def test_words_most_tickets_hold_are_checked_ticket_by_ticket_with_the_same_answer(
    api, alice, tickets, monkeypatch
):
    # given a desk and what its list answers for common, rare and numeric text
    made = tickets(14)
    client = api(alice)

    def answers() -> list[object]:
        pages = [
            client.get("/tickets", {"q": q, "limit": 100, "sort": sort})
            for q in ("paper", "printer jams", "printer 7 jams", str(made[4].number))
            for sort in ("number", "-updated_at")
        ]
        counted = client.get("/tickets", {"q": "paper tray", "count": "true", "status": "new"})
        cache.clear()  # counts are cached until a ticket changes
        return [_numbers(page) for page in pages] + [counted.json()["count"]]

    before = answers()
    # when the words count as common (on SQLite: checked per ticket along the list's
    # order instead of reading every match first)
    monkeypatch.setattr("opora.tickets.selectors._FEW_DOCUMENTS", 1)
    monkeypatch.setattr("opora.search.backends.DENSE_SAMPLE", 10)
    with CaptureQueriesContext(connection) as seen:
        after = answers()
    # then the same tickets, in the same order, and the same count
    assert after == before
    assert before[0] == sorted(t.number for i, t in enumerate(made) if i % 3)
    walked = [q for q in seen if "EXISTS (SELECT 1 FROM search_searchdocument d" in q["sql"]]
    assert bool(walked) == (connection.vendor == "sqlite")


def test_a_filtered_and_searched_list_keeps_its_other_filters_and_order(api, alice, tickets):
    made = tickets(12)
    client = api(alice)
    listed = _numbers(client.get("/tickets", {"q": "printer", "tag": "t1", "sort": "number"}))
    expected = [t.number for i, t in enumerate(made) if i % 5 and i % 3 == 1]
    assert listed == sorted(expected)


def test_a_tag_nobody_uses_answers_at_once(api, alice, tickets):
    tickets(6)
    client = api(alice)
    client.get("/tickets", {"limit": 1})  # first use of the token writes last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/tickets", {"tag": "no-such-tag"})
    assert _numbers(response) == []
    # the token and the tag's lookup: no statement over the tickets at all
    assert not [q["sql"] for q in queries if "tickets_ticket" in q["sql"]]


@pytest.mark.parametrize(
    "params",
    [
        {"tag": "t1"},
        {"q": "printer"},
        {"q": "printer", "status": "new", "count": "true"},
        {"assignee": "none", "count": "true"},
        {"organization": 1, "requester": 1},
    ],
)
def test_each_filter_runs_the_same_number_of_queries_at_5_and_40_tickets(
    api, alice, tickets, params
):
    client = api(alice)
    client.get("/tickets", {"limit": 1})

    def queries() -> int:
        cache.clear()  # each measurement counts afresh
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/tickets", params).status_code == 200
        return len(captured.captured_queries)

    tickets(5)
    at_5 = queries()
    tickets(35, start=5)
    at_40 = queries()
    assert at_5 == at_40


def test_the_count_stays_exact_after_each_change(api, alice, bob, tickets):
    made = tickets(4)
    client = api(alice)

    def count(**params) -> tuple[int, bool]:
        body = client.get("/tickets", {"count": "true", **params}).json()
        return body["count"], body["count_exact"]

    assert count() == (4, True)
    assert count(assignee="none") == (4, True)
    actions.update_ticket(made[0], actions.TicketChanges(assignee=bob.pk), by=alice)
    assert count(assignee="none") == (3, True)
    tickets(1, start=4)
    assert count() == (5, True)
    actions.update_ticket(made[1], actions.TicketChanges(status="solved"), by=alice)
    assert count(status="solved") == (1, True)
    actions.merge_tickets(made[2], made[3], by=alice)
    assert count(status="closed") == (1, True)
    # without count=true there is no count
    body = client.get("/tickets").json()
    assert body["count"] is None and body["count_exact"] is None


def test_on_a_large_desk_the_count_is_an_estimate_for_a_few_seconds(
    api, alice, tickets, monkeypatch
):
    monkeypatch.setattr(counters, "EXACT_UP_TO", 0)
    tickets(2)
    client = api(alice)
    assert client.get("/tickets", {"count": "true"}).json()["count"] == 2
    tickets(1, start=2)
    body = client.get("/tickets", {"count": "true"}).json()
    assert (body["count"], body["count_exact"]) == (2, False)
    monkeypatch.setattr(counters, "ESTIMATE_SECONDS", 0.0)
    body = client.get("/tickets", {"count": "true"}).json()
    assert (body["count"], body["count_exact"]) == (3, True)


def test_a_customer_counts_only_their_own_tickets(api, dana, charlie, tickets):
    tickets(6)
    body = api(dana).get("/tickets", {"count": "true"}).json()
    assert (body["count"], body["count_exact"]) == (3, True)
