"""Custom fields through the API: defined by admins, written by agents and by the
ticket forms, refused with a clear 4xx that writes nothing."""

from __future__ import annotations

import pytest

from opora.crm.models import FieldDefinition
from opora.tickets.models import Event, Ticket
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def test_an_admin_defines_a_dropdown_with_russian_and_english_labels(api, ada):
    answer = api(ada).post(
        "/fields",
        {
            "target": "organization",
            "key": "segment",
            "label_en": "Segment",
            "label_ru": "Сегмент",
            "kind": "choice",
            "options": [{"value": "smb", "en": "Small business", "ru": "Малый бизнес"}],
        },
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["options"] == [
        {"value": "smb", "en": "Small business", "ru": "Малый бизнес"}
    ]
    listed = api(ada).get("/fields", {"target": "organization"}).json()
    assert [f["key"] for f in listed] == ["segment"]


@pytest.mark.parametrize(
    "body, code",
    [
        ({"key": "Bad Key"}, "bad_key"),
        ({"kind": "choice", "options": []}, "bad_options"),
        ({"kind": "number", "min_value": 10, "max_value": 1}, "bad_range"),
    ],
)
def test_bad_definitions_are_refused(api, ada, body, code):
    client = api(ada)
    payload = {"target": "ticket", "key": "k", "label_en": "K", **body}
    with nothing_written():
        answer = client.post("/fields", payload)
    assert answer.status_code == 422
    assert answer.json()["code"] == code


def test_agents_may_not_define_fields(api, alice):
    client = api(alice)
    with nothing_written():
        answer = client.post("/fields", {"target": "ticket", "key": "k", "label_en": "K"})
    assert answer.status_code == 403


def test_a_complaint_asks_for_the_order_number(api, dana, order_number):
    client = api(dana)
    with nothing_written():
        missing = client.post(
            "/tickets", {"subject": "Broken kettle", "body": "It leaks.", "type": "complaint"}
        )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "custom_fields.order_number"
    assert missing.json()["code"] == "field_required"
    made = client.post(
        "/tickets",
        {
            "subject": "Broken kettle",
            "body": "It leaks.",
            "type": "complaint",
            "custom_fields": {"order_number": "A-1001"},
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["custom_fields"] == {"order_number": "A-1001"}
    ticket = Ticket.objects.get(number=made.json()["number"])
    assert ticket.custom_fields == {"order_number": "A-1001"}


def test_a_form_refuses_fields_it_does_not_ask_for(api, dana, order_number, amount):
    client = api(dana)
    with nothing_written():
        answer = client.post(
            "/tickets",
            {
                "subject": "s",
                "body": "b",
                "type": "complaint",
                "custom_fields": {"order_number": "A-1", "amount": 5},
            },
        )
    assert answer.status_code == 422
    assert answer.json()["code"] == "unknown_field"


@pytest.mark.parametrize(
    "value, code",
    [(-1, "out_of_range"), (2_000_000, "out_of_range"), ("many", "not_a_number"), (True, "")],
)
def test_agents_write_ticket_values_checked(api, alice, dana, make_ticket, amount, value, code):
    ticket = make_ticket(dana)
    client = api(alice)
    with nothing_written(ticket):
        answer = client.patch(
            f"/tickets/{ticket.number}/fields", {"custom_fields": {"amount": value}}
        )
    assert answer.status_code == 422, answer.content
    assert not code or answer.json()["code"] == code
    good = client.patch(
        f"/tickets/{ticket.number}/fields", {"custom_fields": {"amount": "1 500,5"}}
    )
    assert good.status_code == 200
    assert good.json()["custom_fields"] == {"amount": 1500.5}
    event = Event.objects.get(ticket=ticket, kind="fields_changed")
    assert event.data["fields"] == {"amount": [None, 1500.5]}
    assert event.actor == alice


def test_the_ticket_list_shows_values_without_a_query_per_ticket(
    api, alice, dana, make_ticket, amount, django_assert_max_num_queries
):
    from opora.crm.actions import set_ticket_fields

    for n in range(5):
        set_ticket_fields(make_ticket(dana), {"amount": n * 10}, by=alice)
    client = api(alice)
    client.get("/tickets")  # warm the token and caches
    with django_assert_max_num_queries(12):
        page = client.get("/tickets", {"limit": 50}).json()
    assert sorted(t["custom_fields"].get("amount") for t in page["items"]) == [0, 10, 20, 30, 40]
    found = client.get("/tickets", {"field": "amount:20"}).json()["items"]
    assert [t["custom_fields"]["amount"] for t in found] == [20]
    bad = client.get("/tickets", {"field": "nosuch:1"})
    assert bad.status_code == 422


def test_customers_see_only_their_forms_fields(api, alice, dana, order_number, amount):
    client = api(dana)
    made = client.post(
        "/tickets",
        {
            "subject": "s",
            "body": "b",
            "type": "complaint",
            "custom_fields": {"order_number": "A-7"},
        },
    ).json()
    ticket = Ticket.objects.get(number=made["number"])
    from opora.crm.actions import set_ticket_fields

    set_ticket_fields(ticket, {"amount": 99}, by=alice)
    assert client.get(f"/tickets/{ticket.number}").json()["custom_fields"] == {
        "order_number": "A-7"
    }
    assert client.get("/tickets").json()["items"][0]["custom_fields"] == {"order_number": "A-7"}
    agent = api(alice).get(f"/tickets/{ticket.number}").json()
    assert agent["custom_fields"] == {"order_number": "A-7", "amount": 99}
    with nothing_written(ticket):
        refused = client.patch(
            f"/tickets/{ticket.number}/fields", {"custom_fields": {"order_number": "x"}}
        )
    assert refused.status_code == 403


def test_agents_edit_customer_values_dates_and_options(api, alice, dana, tier, birthday):
    client = api(alice)
    answer = client.patch(
        f"/customers/{dana.pk}/record",
        {"custom_fields": {"tier": "gold", "since": "31.12.2020"}, "tags": ["Key", "b2b"]},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["custom_fields"] == {"tier": "gold", "since": "2020-12-31"}
    assert body["tags"] == ["b2b", "key"]
    dana.refresh_from_db()
    for values, code in (
        ({"tier": "platinum"}, "unknown_option"),
        ({"since": "2020-02-30"}, "bad_date"),
        ({"nosuch": 1}, "unknown_field"),
    ):
        with nothing_written(dana):
            refused = client.patch(
                f"/customers/{dana.pk}/record", {"custom_fields": values, "tags": ["x"]}
            )
        assert refused.status_code == 422, values
        assert refused.json()["code"] == code


def test_a_required_customer_field_cannot_be_emptied(api, ada, alice, dana, tier):
    agent = api(alice)
    agent.patch(f"/customers/{dana.pk}/record", {"custom_fields": {"tier": "gold"}})
    api(ada).patch(f"/fields/{tier.pk}", {"required": True})
    dana.refresh_from_db()
    with nothing_written(dana):
        refused = agent.patch(f"/customers/{dana.pk}/record", {"custom_fields": {"tier": None}})
    assert refused.status_code == 422
    assert refused.json()["code"] == "field_required"


def test_every_change_is_in_the_audit_log(api, ada, alice, dana, tier):
    api(alice).patch(f"/customers/{dana.pk}/record", {"custom_fields": {"tier": "silver"}})
    api(alice).post(f"/customers/{dana.pk}/notes", {"body": "Prefers calls."})
    log = api(ada).get("/audit", {"area": "crm"}).json()
    actions = {(e["action"], e["target_type"]) for e in log["items"]}
    assert ("created", "crm.fielddefinition") in actions or any(a == "created" for a, _ in actions)
    assert len(log["items"]) >= 3


def test_the_openapi_schema_lists_the_operations(api, ada):
    schema = api(ada).get("/openapi.json").json()
    for path in (
        "/api/v1/fields",
        "/api/v1/ticket-forms",
        "/api/v1/imports",
        "/api/v1/customers/{user_id}/record",
    ):
        assert path in schema["paths"], path
    ticket = schema["components"]["schemas"]["TicketOut"]["properties"]
    assert "custom_fields" in ticket


def test_fields_of_definitions_removed_are_kept(api, ada, alice, dana, tier):
    api(alice).patch(f"/customers/{dana.pk}/record", {"custom_fields": {"tier": "gold"}})
    assert api(ada).delete(f"/fields/{tier.pk}").status_code == 204
    assert not FieldDefinition.objects.filter(pk=tier.pk).exists()
    dana.refresh_from_db()
    assert dana.custom_fields == {"tier": "gold"}
