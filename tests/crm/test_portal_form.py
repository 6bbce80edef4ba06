"""The portal's new-request form asks for the fields of the chosen type's form."""

from __future__ import annotations

import pytest

from opora.tickets.models import Ticket
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def _new(client, **extra):
    data = {
        "subject": "Kettle leaks",
        "body": "Since day one.",
        "type": "complaint",
        "priority": "",
    }
    return client.post("/portal/new", data | extra)


def test_the_page_shows_each_types_fields(client, dana, order_number):
    client.force_login(dana)
    page = client.get("/portal/new").content.decode()
    assert 'data-type-fields="complaint"' in page
    assert 'name="cf_complaint_order_number"' in page
    assert "Order number" in page


def test_a_complaint_without_its_order_number_opens_nothing(client, dana, order_number):
    client.force_login(dana)
    with nothing_written():
        answer = _new(client)
    assert answer.status_code == 400
    assert 'data-field-error="order_number"' in answer.content.decode()


def test_a_complaint_with_its_order_number(client, dana, order_number):
    client.force_login(dana)
    answer = _new(client, cf_complaint_order_number="A-1001")
    ticket = Ticket.objects.get(subject="Kettle leaks")
    assert answer.status_code == 302
    assert ticket.custom_fields == {"order_number": "A-1001"}
    page = client.get(f"/portal/requests/{ticket.number}").content.decode()
    assert "A-1001" in page


def test_other_types_ignore_the_complaint_fields(client, dana, order_number):
    client.force_login(dana)
    _new(client, type="question", cf_complaint_order_number="A-1")
    assert Ticket.objects.get(subject="Kettle leaks").custom_fields == {}


def test_russian_labels(client, dana, order_number):
    from opora.accounts.actions import set_user_language

    set_user_language(dana, "ru")
    client.force_login(dana)
    assert "Номер заказа" in client.get("/portal/new", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
