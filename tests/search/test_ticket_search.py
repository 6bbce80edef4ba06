"""Agents search tickets and their messages through the same service as articles."""

from __future__ import annotations

from opora.tickets import actions


def test_agents_find_tickets_by_other_word_forms_in_messages(api, alice, dana, make_ticket):
    # given
    ticket = make_ticket(
        dana, subject="Office problem", body="Принтеры на третьем этаже не печатают"
    )
    make_ticket(dana, subject="Billing question", body="Where is my invoice?")
    # when
    found = api(alice).get("/search/tickets", {"q": "принтер печать"}).json()
    # then
    assert [(h["ticket"], h["subject"]) for h in found] == [(ticket.number, "Office problem")]
    assert "<mark>Принтеры</mark>" in found[0]["snippet"]


def test_subjects_are_searched_too(api, alice, dana, make_ticket):
    ticket = make_ticket(dana, subject="Invoices are missing", body="See above.")
    found = api(alice).get("/search/tickets", {"q": "invoice missing"}).json()
    assert ticket.number in {h["ticket"] for h in found}


def test_new_replies_and_notes_are_searchable_at_once(api, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    actions.add_message(ticket, by=alice, body="Spooler restarted remotely", internal=True)
    found = api(alice).get("/search/tickets", {"q": "spooler restarted"}).json()
    assert [h["ticket"] for h in found] == [ticket.number]
    assert found[0]["message"] is not None


def test_agents_only_find_tickets_they_may_see(api, alice, otto, dana, make_ticket, billing):
    # given a ticket in Support (Alice's team) and one in Billing (Otto's)
    support_ticket = make_ticket(dana, body="Router firmware upgrade failed")
    billing_ticket = make_ticket(dana, body="Router invoice upgrade", team=billing)
    # then each agent finds only their team's ticket
    alice_found = {h["ticket"] for h in api(alice).get("/search/tickets", {"q": "router"}).json()}
    otto_found = {h["ticket"] for h in api(otto).get("/search/tickets", {"q": "router"}).json()}
    assert alice_found == {support_ticket.number}
    assert otto_found == {billing_ticket.number}


def test_customers_cannot_search_tickets_here(api, dana, make_ticket):
    make_ticket(dana)
    assert api(dana).get("/search/tickets", {"q": "printer"}).status_code == 403


def test_merged_messages_are_found_under_the_target(api, alice, dana, make_ticket):
    target = make_ticket(dana, subject="Main")
    source = make_ticket(dana, subject="Duplicate", body="Scanner jams on every page")
    actions.merge_tickets(source, target, by=alice)
    found = api(alice).get("/search/tickets", {"q": "scanner jams"}).json()
    assert target.number in {h["ticket"] for h in found}


def test_a_word_typed_half_way_still_finds_its_ticket(api, alice, dana, make_ticket):
    # given a message with a long word nobody types out in full
    ticket = make_ticket(
        dana, subject="Mail client", body="Thunderbird keeps asking for the password"
    )
    make_ticket(dana, subject="Other", body="The password expired yesterday")
    # when the agent types the beginning of it together with a whole word
    found = api(alice).get("/search/tickets", {"q": "thunderb password"}).json()
    # then the ticket with both is found, the one with only the whole word is not
    assert {h["ticket"] for h in found} == {ticket.number}


def test_words_that_never_occur_together_find_nothing(api, alice, dana, make_ticket):
    make_ticket(dana, subject="Scanner", body="The scanner is offline")
    make_ticket(dana, subject="Printer", body="The printer is offline")
    found = api(alice).get("/search/tickets", {"q": "scanner printer"}).json()
    assert found == []


def _analyzed_common_words(monkeypatch, window: int) -> None:
    """PostgreSQL's statistics as a large desk has them (ANALYZE), read afresh, and a
    small window of newest documents so the test can go past it."""
    import pytest
    from django.db import connection

    from opora.search import backends

    if connection.vendor != "postgresql":
        pytest.skip("the window of newest documents is PostgreSQL's path")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    monkeypatch.setattr(backends, "_common", (-backends._COMMON_TTL, frozenset()))
    monkeypatch.setattr(backends, "RECENT_WINDOW", window)


def test_a_query_of_common_words_is_answered_from_the_newest_tickets(
    api, alice, dana, make_ticket, monkeypatch
):
    # Older tickets say it more often (they would rank first over the whole index).
    for _ in range(30):
        make_ticket(dana, subject="Printer jam, printer jam", body="Printer jam, printer jam!")
    new = [
        make_ticket(dana, subject=f"Printer jam {i}", body="The printer jams.") for i in range(40)
    ]
    _analyzed_common_words(monkeypatch, window=60)
    found = {h["ticket"] for h in api(alice).get("/search/tickets", {"q": "printer jam"}).json()}
    assert len(found) == 20
    assert found <= {t.number for t in new}


def test_too_few_common_matches_among_the_newest_fall_back_to_the_whole_index(
    api, alice, dana, make_ticket, monkeypatch
):
    old = [make_ticket(dana, subject="Printer jam", body="The printer jams.") for _ in range(30)]
    for i in range(40):
        make_ticket(dana, subject=f"Printer toner {i}", body="The printer needs toner.")
    _analyzed_common_words(monkeypatch, window=10)
    found = {h["ticket"] for h in api(alice).get("/search/tickets", {"q": "printer jam"}).json()}
    # The newest ten documents hold no jam: the whole index answers.
    assert len(found) == 20
    assert found <= {t.number for t in old}


def test_an_agent_who_sees_little_still_finds_all_of_it(
    api, otto, dana, make_ticket, billing, monkeypatch
):
    """The engine takes a few candidates and then checks who may see them; when that
    leaves too few, it searches again with the viewer's condition inside."""
    from opora.search import backends

    monkeypatch.setattr(backends, "TICKET_CANDIDATES", 5)
    mine = [make_ticket(dana, body="Router reboots nightly", team=billing) for _ in range(3)]
    for _ in range(12):
        make_ticket(dana, body="Router reboots nightly")  # Support's: Otto may not see them
    found = [h["ticket"] for h in api(otto).get("/search/tickets", {"q": "router"}).json()]
    assert sorted(found) == sorted(t.number for t in mine)


def test_sqlite_answers_a_query_with_many_matches_from_the_newest_of_them(
    api, alice, dana, make_ticket, monkeypatch
):
    """FTS5's ranking reads every match of each word: past the cap, the newest
    matches are the candidates (older tickets that say it more often would rank first)."""
    import pytest
    from django.db import connection

    from opora.search import backends

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's path; PostgreSQL's window is tested above")
    monkeypatch.setattr(backends, "TICKET_CANDIDATES", 40)  # the newest twenty tickets'
    for _ in range(30):
        make_ticket(dana, subject="Printer jam, printer jam", body="Printer jam, printer jam!")
    new = [
        make_ticket(dana, subject=f"Printer jam {i}", body="The printer jams.") for i in range(20)
    ]
    found = {h["ticket"] for h in api(alice).get("/search/tickets", {"q": "printer jam"}).json()}
    assert len(found) >= 10
    assert found <= {t.number for t in new}
