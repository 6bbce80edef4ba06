"""The console's customer-record pages: fields, ticket forms, contracts, import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opora.accounts.models import User
from opora.crm.models import FieldDefinition, ImportJob
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def test_an_admin_defines_a_field_and_a_form(client, ada):
    client.force_login(ada)
    assert client.get("/admin/records/fields/").status_code == 200
    answer = client.post(
        "/admin/records/fields/",
        {
            "target": "ticket",
            "key": "order_number",
            "label_en": "Order number",
            "label_ru": "Номер заказа",
            "kind": "text",
            "is_active": "on",
        },
    )
    assert answer.status_code == 302
    assert FieldDefinition.objects.get().label_ru == "Номер заказа"
    client.post(
        "/admin/records/forms/",
        {"ticket_type": "complaint", "fields": ["order_number"], "required": ["order_number"]},
    )
    page = client.get("/admin/records/forms/").content.decode()
    assert 'data-form-type="complaint"' in page
    from opora.crm.selectors import ticket_form

    assert ticket_form("complaint").required == frozenset({"order_number"})


def test_a_bad_field_is_refused_on_the_page(client, ada):
    client.force_login(ada)
    with nothing_written():
        answer = client.post(
            "/admin/records/fields/",
            {"target": "ticket", "key": "9 bad", "label_en": "X", "kind": "text"},
        )
    assert answer.status_code == 400
    assert "data-error" in answer.content.decode()


def test_agents_are_refused(client, alice):
    client.force_login(alice)
    assert client.get("/admin/records/fields/").status_code == 403
    assert client.get("/admin/records/import/").status_code == 403


def test_the_contract_page(client, ada, acme):
    from opora.sla.models import BusinessCalendar, SlaPolicy

    hours = BusinessCalendar.objects.create(name="Office", time_zone="UTC")
    policy = SlaPolicy.objects.create(name="Gold SLA", calendar=hours, first_response_minutes=60)
    client.force_login(ada)
    assert (
        "data-record-links"
        in client.get(f"/admin/people/organizations/{acme.pk}/").content.decode()
    )
    assert client.get(f"/admin/people/organizations/{acme.pk}/contract").status_code == 200
    answer = client.post(
        f"/admin/people/organizations/{acme.pk}/contract",
        {
            "plan": "Gold",
            "support_hours": hours.pk,
            "sla_policy": policy.pk,
            "expires_on": "2030-05-01",
            "post_warranty": "on",
        },
    )
    assert answer.status_code == 302
    acme.refresh_from_db()
    assert acme.contract_policy_id == policy.pk
    with nothing_written(acme):
        bad = client.post(
            f"/admin/people/organizations/{acme.pk}/contract",
            {"plan": "Gold", "expires_on": "soon"},
        )
    assert bad.status_code == 400


def test_the_import_preview_and_the_import(client, ada, acme, django_capture_on_commit_callbacks):
    from opora.core.tasks import run_queued_tasks

    client.force_login(ada)
    data = "email;name;organization\nann@example.test;Ann;Acme\nbad;Bob;Acme\n".encode("cp1251")
    answer = client.post(
        "/admin/records/import/", {"kind": "customers", "file": SimpleUploadedFile("p.csv", data)}
    )
    job = ImportJob.objects.get()
    assert answer["Location"] == f"/admin/records/import/{job.pk}/"
    page = client.get(answer["Location"]).content.decode()
    assert 'data-problem-line="3"' in page
    assert "data-start" not in page
    good = client.post(
        "/admin/records/import/",
        {
            "kind": "customers",
            "file": SimpleUploadedFile("p.csv", b"email,name\nann@example.test,Ann\n"),
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(good["Location"], {"start": "1"})
    run_queued_tasks()
    page = client.get(good["Location"]).content.decode()
    assert 'data-state="done"' in page
    assert User.objects.filter(email="ann@example.test").exists()
    export = client.get("/admin/records/export/customers.csv")
    assert b"ann@example.test" in b"".join(export.streaming_content)
