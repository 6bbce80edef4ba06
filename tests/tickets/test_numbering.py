from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from opora.tickets import actions
from opora.tickets.models import Ticket


@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_get_unique_consecutive_numbers(dana):
    # given several writers creating tickets at the same time
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            for i in range(5):
                actions.create_ticket(requester=dana, by=dana, subject=f"w{n}-{i}", body="x")
        except BaseException as exc:  # collected and reported below
            errors.append(exc)
        finally:
            connections.close_all()

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        "file:memorydb"
    ):
        workers = 1  # an in-memory test database is not shared between threads
    else:
        workers = 6
    threads = [threading.Thread(target=create, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then every ticket has its own number, with no gaps
    assert not errors, errors
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == 5 * workers
    assert numbers == list(range(numbers[0], numbers[0] + 5 * workers))


@pytest.mark.django_db
def test_numbers_continue_above_imported_tickets(dana):
    first = actions.create_ticket(requester=dana, by=dana, subject="a", body="x")
    Ticket.objects.filter(pk=first.pk).update(number=5000)  # as an importer would
    from opora.tickets.numbering import sync_ticket_numbers

    sync_ticket_numbers()
    second = actions.create_ticket(requester=dana, by=dana, subject="b", body="x")
    assert second.number == 5001
