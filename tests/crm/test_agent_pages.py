"""The workspace's customer, organization and ticket pages show and edit the record."""

from __future__ import annotations

import pytest

from opora.crm.models import Note
from opora.tickets.models import Event
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def test_the_customer_card_shows_stats_fields_and_takes_notes(
    client, alice, dana, make_ticket, tier
):
    make_ticket(dana, type="complaint")
    client.force_login(alice)
    page = client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert 'data-stat="tickets">1' in page
    assert 'data-stat="complaints">1' in page
    assert 'name="cf_tier"' in page
    assert client.post(f"/agent/customers/{dana.pk}/fields", {"cf_tier": "gold"}).status_code == 302
    dana.refresh_from_db()
    assert dana.custom_fields == {"tier": "gold"}
    client.post(f"/agent/customers/{dana.pk}/notes", {"body": "Prefers the phone."})
    client.post(f"/agent/customers/{dana.pk}/tags", {"tags": "key, b2b"})
    page = client.get(f"/agent/customers/{dana.pk}").content.decode()
    assert "Prefers the phone." in page
    assert Note.objects.get().author == alice
    dana.refresh_from_db()
    assert dana.tags == ["b2b", "key"]


def test_a_bad_value_on_the_card_writes_nothing(client, alice, dana, tier):
    client.force_login(alice)
    with nothing_written(dana):
        answer = client.post(
            f"/agent/customers/{dana.pk}/fields", {"cf_tier": "platinum"}, follow=True
        )
    assert "is not one of the options" in answer.content.decode()


def test_customers_cannot_use_the_cards(client, dana, dave):
    client.force_login(dana)
    with nothing_written(dave):
        answer = client.post(f"/agent/customers/{dave.pk}/notes", {"body": "x"})
    assert answer.status_code in (302, 403, 404)
    assert not Note.objects.exists()


def test_the_organization_page_has_the_record(client, alice, acme, dana, make_ticket):
    make_ticket(dana)
    client.force_login(alice)
    client.post(f"/agent/organizations/{acme.pk}/notes", {"body": "Renewal in May."})
    page = client.get(f"/agent/organizations/{acme.pk}").content.decode()
    assert "Renewal in May." in page
    assert 'data-stat="tickets">1' in page


def test_the_ticket_page_edits_the_fields(client, alice, dana, make_ticket, order_number, amount):
    ticket = make_ticket(dana)
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'name="cf_order_number"' in page and 'name="cf_amount"' in page
    client.post(
        f"/agent/tickets/{ticket.number}/fields", {"cf_order_number": "A-9", "cf_amount": "12"}
    )
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"order_number": "A-9", "amount": 12}
    assert Event.objects.filter(ticket=ticket, kind="fields_changed").count() == 1


def test_the_workspaces_new_ticket_form_asks_for_the_types_fields(
    client, alice, dana, order_number
):
    from opora.tickets.models import Ticket

    client.force_login(alice)
    page = client.get("/agent/tickets/new").content.decode()
    assert 'name="cf_complaint_order_number"' in page
    data = {
        "who": "existing",
        "requester": dana.pk,
        "requester_label": dana.email,
        "subject": "Late delivery",
        "body": "Box damaged.",
        "type": "complaint",
        "priority": "normal",
        "channel": "phone",
    }
    with nothing_written():
        refused = client.post("/agent/tickets/new", data)
    assert refused.status_code == 422
    assert 'data-field-error="order_number"' in refused.content.decode()
    done = client.post("/agent/tickets/new", {**data, "cf_complaint_order_number": "B-77"})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert Ticket.objects.get().custom_fields == {"order_number": "B-77"}
