# ruff: noqa: RUF001
"""core/bulk's writers for many new rows store what `bulk_create` would, on SQLite and
PostgreSQL alike (PostgreSQL: COPY and server-bound statements)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from opora.accounts.models import Organization, Role, User
from opora.core import bulk
from opora.core.bulk import copy_rows, create_rows, upsert_rows
from opora.search.models import SearchDocument
from opora.sla.models import TicketSla
from opora.tickets.models import Event, EventKind, Ticket

# What COPY's text format must escape, and what a customer may well write.
AWKWARD = "Ли\tТаб\nперевод \\N back\\slash «кавычки» 'quote' \"double\" ☃"


@pytest.fixture(autouse=True)
def _copy_small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The COPY path even for the few rows of these tests (below COPY_FROM rows the
    writers use one INSERT)."""
    monkeypatch.setattr(bulk, "COPY_FROM", 1)


def _customer(email: str, **fields: object) -> User:
    return User(email=email, role=Role.CUSTOMER, language="ru", password="!x", **fields)


def test_new_rows_get_ids_in_their_order_and_are_stored_as_given(acme: Organization) -> None:
    rows = [
        _customer(
            f"bulk{i}@example.test",
            name=f"{AWKWARD} {i}",
            tags=["vip", "ключ"],
            custom_fields={"plan": "pro", "seats": i, "none": None},
            cost_per_hour=Decimal("12.50"),
            organization=acme,
        )
        for i in range(3)
    ]
    create_rows(User, rows)
    ids = [row.pk for row in rows]
    assert None not in ids and ids == sorted(ids)
    assert all(not row._state.adding for row in rows)
    for i, row in enumerate(rows):
        stored = User.objects.get(pk=row.pk)
        assert stored.email == f"bulk{i}@example.test"
        assert stored.name == f"{AWKWARD} {i}"
        assert stored.tags == ["vip", "ключ"]
        assert stored.custom_fields == {"plan": "pro", "seats": i, "none": None}
        assert stored.cost_per_hour == Decimal("12.50")
        assert stored.organization_id == acme.pk
        assert stored.role == Role.CUSTOMER


def test_a_unique_conflict_is_an_integrity_error_and_writes_nothing(dana: User) -> None:
    before = User.objects.count()
    rows = [_customer("fresh@example.test"), _customer(dana.email)]
    with pytest.raises(IntegrityError), transaction.atomic():
        create_rows(User, rows)
    assert User.objects.count() == before
    assert not User.objects.filter(email="fresh@example.test").exists()


def test_rows_without_ids_keep_choices_json_and_given_keys(
    make_ticket: Callable[..., Ticket], dana: User, alice: User
) -> None:
    ticket = make_ticket(dana)
    events = [
        Event(ticket=ticket, actor=alice, kind=EventKind.STATUS, old="new", new=AWKWARD),
        Event(ticket=ticket, actor=None, kind=EventKind.NOTE, data={"a": "б", "n": 1}),
    ]
    copy_rows(Event, events)
    stored = list(Event.objects.filter(ticket=ticket, kind__in=[e.kind for e in events]))
    assert [(e.kind, e.actor_id, e.new, e.data) for e in stored[-2:]] == [
        (EventKind.STATUS, alice.pk, AWKWARD, {}),
        (EventKind.NOTE, None, "", {"a": "б", "n": 1}),
    ]
    # A table keyed by its ticket (no numbering of its own) gets the key it was given.
    TicketSla.objects.filter(ticket=ticket).delete()
    copy_rows(TicketSla, [TicketSla(ticket=ticket, logged_cost=Decimal("3.25"))])
    assert TicketSla.objects.get(pk=ticket.pk).logged_cost == Decimal("3.25")


def test_an_unsaved_related_row_is_refused(dana: User) -> None:
    with pytest.raises(ValueError, match="unsaved related object"):
        create_rows(Ticket, [Ticket(subject="x", requester=User(email="ghost@example.test"))])


def _doc(title: str, **fields: object) -> SearchDocument:
    return SearchDocument(scope="ticket", object_id=424242, title=title, body=AWKWARD, **fields)


def test_upserts_update_the_named_fields_or_skip_the_row(db: None) -> None:
    key = {"unique": ["scope", "object_id"], "update": ["title"]}
    upsert_rows(SearchDocument, [_doc("first", heading_terms="h")], **key)
    upsert_rows(SearchDocument, [_doc("second", heading_terms="h")], **key)
    stored = SearchDocument.objects.get(object_id=424242)
    assert (stored.title, stored.body, stored.heading_terms) == ("second", AWKWARD, "h")
    # No update fields: a conflict is skipped.
    upsert_rows(SearchDocument, [_doc("third", heading_terms="h")])
    assert SearchDocument.objects.get(object_id=424242).title == "second"


def test_bulk_statements_are_counted_like_any_other(db: None) -> None:
    create_rows(User, [_customer("first@example.test")])  # the sequence's name, read once
    with CaptureQueriesContext(connection) as queries:
        create_rows(User, [_customer("counted@example.test")])
    sql = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert len(sql) == 2 and sql[1].startswith("COPY ")  # the id, then the row
    else:
        assert len(sql) == 1 and sql[0].startswith("INSERT ")


def test_a_field_left_to_its_database_default_gets_it(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite inserts through bulk_create, which writes DEFAULT")
    copy_rows(SearchDocument, [_doc("no headings")])  # heading_terms has db_default=""
    assert SearchDocument.objects.get(object_id=424242).heading_terms == ""


def test_a_few_rows_go_in_with_one_insert(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "COPY_FROM", 16)
    with CaptureQueriesContext(connection) as queries:
        create_rows(User, [_customer("one@example.test")])
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 1 and sql[0].startswith("INSERT ")
    assert User.objects.filter(email="one@example.test").exists()
