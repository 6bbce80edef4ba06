"""Long threads: the ticket page and the message API show the newest messages and load
earlier ones by a cursor, with the same number of queries for 10 messages as for 1,000."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opora.accounts.models import User
from opora.tickets.models import Event, EventKind, Message, Ticket
from opora.tickets.thread import API_MESSAGES, PAGE_MESSAGES


def grow(ticket: Ticket, author: User, customer: User, count: int) -> list[Message]:
    """`count` more messages, a minute apart, every fifth one an internal note; every
    seventh pair shares its time (the cursor must still tell them apart)."""
    start = ticket.messages.latest("created_at").created_at + timedelta(minutes=1)
    rows = []
    for i in range(count):
        at = start + timedelta(minutes=i - (i % 7 == 6))
        note = i % 5 == 4
        rows.append(
            Message(
                ticket=ticket,
                author=author if note or i % 2 else customer,
                internal=note,
                channel="web",
                body=f"message {i:05d}",
                body_html=f"<p>message {i:05d}</p>",
                created_at=at,
            )
        )
    Message.objects.bulk_create(rows)
    return list(ticket.messages.order_by("created_at", "id"))


def bodies(page: str) -> list[str]:
    import re

    return re.findall(r"message \d{5}", page)


@pytest.fixture
def ticket(make_ticket, dana):
    return make_ticket(dana, body="message first")


def test_the_page_shows_the_newest_messages_and_loads_earlier_ones(client, alice, dana, ticket):
    # given a ticket of 100 messages (and its first)
    everything = grow(ticket, alice, dana, 100)
    client.force_login(alice)

    # when Alice opens it
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()

    # then she sees the newest 30, oldest first, and a link to the earlier ones
    newest = [m.body for m in everything[-PAGE_MESSAGES:]]
    assert bodies(page) == newest
    assert "Load earlier messages" in page
    # following "Load earlier" (htmx) brings the 30 before, then the 30 before those…
    seen = list(newest)
    link = page
    while "data-load-earlier" in link:
        cursor = link.split("?before=", 1)[1].split("#", 1)[0].split('"', 1)[0]
        link = client.get(
            f"/agent/tickets/{ticket.number}/earlier?before={cursor}", HTTP_HX_REQUEST="true"
        ).content.decode()
        assert "<html" not in link
        seen = bodies(link) + seen
    # … down to the first message, each exactly once, in order
    assert seen == [m.body for m in everything[1:]]
    assert "message first" in link


def test_without_javascript_the_link_opens_the_page_at_that_point(client, alice, dana, ticket):
    everything = grow(ticket, alice, dana, 40)
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    href = page.split("data-load-earlier", 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert href.startswith(f"/agent/tickets/{ticket.number}?before=")

    earlier = client.get(href.replace("&amp;", "&")).content.decode()

    # the eleven before the newest 30 (the ticket's first message included)
    assert bodies(earlier) == [m.body for m in everything[1:-PAGE_MESSAGES]]
    assert "message first" in earlier
    assert "Back to the newest messages" in earlier
    assert "data-load-earlier" not in earlier
    # the fragment's address, opened as a page, leads to the same place
    plain = client.get(f"/agent/tickets/{ticket.number}/earlier?{href.split('?', 1)[1]}")
    assert plain.status_code == 302 and plain["Location"].startswith(href.split("#")[0])


def test_a_forged_cursor_shows_the_newest_messages(client, alice, dana, ticket):
    grow(ticket, alice, dana, 40)
    client.force_login(alice)
    for cursor in ("garbage", "bm90IGEgY3Vyc29y", "MjAyNi0wMS0wMXwxMjM0NTY3ODkwMTIzNDU2Nzg5MDEy"):
        response = client.get(f"/agent/tickets/{ticket.number}?before={cursor}")
        assert response.status_code == 200
        assert "message 00039" in response.content.decode()


def test_the_page_speaks_russian(client, alice, dana, ticket):
    grow(ticket, alice, dana, 40)
    alice.language = "ru"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "Показать более ранние сообщения" in page


def test_the_history_card_shows_the_newest_changes(client, alice, dana, ticket):
    start = timezone.now() - timedelta(days=1)
    Event.objects.bulk_create(
        Event(ticket=ticket, actor=alice, kind=EventKind.PRIORITY, old="normal",
              new="high", created_at=start + timedelta(seconds=i))
        for i in range(150)
    )  # fmt: skip
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert "(100+)" in page
    assert "The latest 100 changes are shown" in page


def _page_queries(client, ticket: Ticket) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/agent/tickets/{ticket.number}").status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def _api_queries(api, user: User, ticket: Ticket) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert api(user).get(f"/tickets/{ticket.number}/messages").status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_page_and_the_api_cost_the_same_for_10_and_1000_messages(
    client, api, alice, dana, make_ticket
):
    # given a ticket of 10 messages and one of 1,000, both with a few deliveries
    short, long = make_ticket(dana), make_ticket(dana)
    grow(short, alice, dana, 10)
    grow(long, alice, dana, 1000)
    client.force_login(alice)
    _page_queries(client, short)  # caches warm

    # then each costs the same number of queries
    assert len(_page_queries(client, long)) == len(_page_queries(client, short))
    assert len(_api_queries(api, alice, long)) == len(_api_queries(api, alice, short))
    # and the messages are read with a bound, never the whole thread
    reads = [q for q in _api_queries(api, alice, long) if 'FROM "tickets_message"' in q]
    assert reads and all("LIMIT" in q for q in reads)


def test_the_api_pages_from_the_newest_back_to_the_first(api, alice, dana, ticket):
    # given 250 messages after the first one
    everything = grow(ticket, alice, dana, 250)

    # when the agent follows the cursor 60 at a time
    pages, cursor = [], None
    while True:
        query = f"?limit=60&before={cursor}" if cursor else "?limit=60"
        response = api(alice).get(f"/tickets/{ticket.number}/messages{query}")
        assert response.status_code == 200
        pages.append([m["body"] for m in response.json()])
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            assert "Link" not in response.headers
            break
        assert response.headers["Link"] == (
            f'</api/v1/tickets/{ticket.number}/messages?before={cursor}&limit=60>; rel="next"'
        )

    # then the newest page came first, each page oldest first, every message once
    assert [len(p) for p in pages] == [60, 60, 60, 60, 11]
    assert pages[0][-1] == everything[-1].body
    assert [b for page in reversed(pages) for b in page] == [m.body for m in everything]


def test_the_default_page_is_the_whole_of_a_short_thread(api, alice, dana, ticket):
    grow(ticket, alice, dana, API_MESSAGES - 1)
    response = api(alice).get(f"/tickets/{ticket.number}/messages")
    assert len(response.json()) == API_MESSAGES
    assert response.json()[0]["body"] == "message first"
    assert "X-Next-Cursor" not in response.headers


def test_a_customer_pages_without_the_notes(api, alice, dana, ticket):
    everything = grow(ticket, alice, dana, 100)
    public = [m.body for m in everything if not m.internal]
    first = api(dana).get(f"/tickets/{ticket.number}/messages?limit=50")
    second = api(dana).get(
        f"/tickets/{ticket.number}/messages?limit=50&before={first.headers['X-Next-Cursor']}"
    )
    assert [m["body"] for m in second.json() + first.json()] == public[-100:]
    assert all(m["internal"] is False for m in first.json() + second.json())


@pytest.mark.parametrize(
    "query", ["?before=garbage", "?before=bm90IGEgY3Vyc29y", "?limit=0", "?limit=201"]
)
def test_bad_paging_is_a_clear_4xx(api, alice, ticket, query):
    response = api(alice).get(f"/tickets/{ticket.number}/messages{query}")
    assert response.status_code in (400, 422)
    assert "code" in response.json() or "detail" in response.json()
