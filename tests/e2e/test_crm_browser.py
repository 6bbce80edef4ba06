"""Customer records in a real browser: an administrator defines a field and the
complaint form, a customer on a phone is asked for the order number, an agent reads
and annotates the customer's card in Russian, and a CSV import shows its preview and
its progress."""

# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opora.accounts.models import User
from opora.core.tasks import run_queued_tasks
from opora.tickets.models import Ticket

pytestmark = pytest.mark.e2e


def _right_edge(page: Page) -> int:
    return int(
        page.evaluate(
            "Math.max(document.documentElement.scrollWidth, ...Array.from("
            "document.querySelectorAll('main, main *')).map(e => e.getBoundingClientRect().right))"
        )
    )


def test_a_defined_field_is_asked_for_by_the_portals_complaint_form(open_session, ada, dana):
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    admin.go("/admin/records/fields/")
    form = admin.page.locator("[data-new-field]")
    form.locator("select[name=target]").select_option("ticket")
    form.locator("input[name=key]").fill("order_number")
    form.locator("input[name=label_en]").fill("Order number")
    form.locator("input[name=label_ru]").fill("Номер заказа")
    form.locator("button[type=submit]").click()
    expect(admin.page.locator("[data-field='order_number']")).to_contain_text("Order number")
    admin.go("/admin/records/forms/")
    complaint = admin.page.locator("[data-form-type='complaint']")
    complaint.locator("input[name=fields][value=order_number]").check()
    complaint.locator("input[name=required][value=order_number]").check()
    complaint.locator("button[type=submit]").click()
    admin.page.wait_for_load_state()
    admin.screenshot("crm-ticket-forms-en")

    dana.language = "ru"
    dana.save(update_fields=["language"])
    customer = open_session("ru-RU")
    customer.page.set_viewport_size({"width": 390, "height": 844})
    customer.sign_in(dana.email)
    customer.go("/portal/new")
    page = customer.page
    order = page.locator("#id_cf_complaint_order_number")
    expect(order).to_be_hidden()  # a question asks for nothing more
    page.locator("#id_type").select_option("complaint")
    expect(order).to_be_visible()
    expect(page.locator("label[for=id_cf_complaint_order_number]")).to_contain_text("Номер заказа")
    page.locator("#id_subject").fill("Чайник протекает")
    page.locator("#id_body").fill("С первого дня.")
    order.evaluate("e => e.removeAttribute('required')")  # the server checks it too
    page.locator("button[type=submit].btn-primary").click()
    expect(page.locator("[data-field-error='order_number']")).to_be_visible()
    assert not Ticket.objects.exists()
    assert _right_edge(page) <= 390
    customer.screenshot("crm-portal-complaint-missing-order-390-ru")
    page.locator("#id_cf_complaint_order_number").fill("A-1001")
    page.locator("button[type=submit].btn-primary").click()
    expect(page.locator("[data-request-fields]")).to_contain_text("A-1001")
    customer.screenshot("crm-portal-complaint-390-ru")
    assert Ticket.objects.get().custom_fields == {"order_number": "A-1001"}


def test_the_customer_card_with_notes_and_stats_in_russian_on_a_phone(
    open_session, alice, dana, make_ticket
):
    make_ticket(dana, subject="Счёт за март", type="complaint")
    alice.language = "ru"
    alice.save(update_fields=["language"])
    agent = open_session("ru-RU")
    agent.page.set_viewport_size({"width": 390, "height": 844})
    agent.sign_in(alice.email)
    agent.go(f"/agent/customers/{dana.pk}")
    page = agent.page
    expect(page.locator("[data-stat=tickets]")).to_have_text("1 (1 открыта)")
    expect(page.locator("[data-stat=complaints]")).to_have_text("1")
    page.locator("[data-record-notes] textarea[name=body]").fill(
        "Просит перезванивать после 10:00."
    )
    page.locator("[data-add-note]").click()
    expect(page.locator("[data-record-notes] li").first).to_contain_text("Просит перезванивать")
    expect(page.locator("[data-record-notes] li").first).to_contain_text("Alice")
    assert _right_edge(page) <= 390
    agent.screenshot("crm-customer-card-390-ru")


def test_the_import_preview_and_progress(open_session, ada, acme, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        "email;name;organization\nann@example.test;Ann;Acme\nnot-mail;Bob;Acme\n".encode("cp1251")
    )
    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeffemail,name\n" + "".join(f"p{n}@example.test,P {n}\n" for n in range(300)),
        encoding="utf-8",
    )
    admin = open_session("en-US")
    admin.sign_in(ada.email)
    admin.go("/admin/records/import/")
    page = admin.page
    page.locator("#i-file").set_input_files(str(bad))
    page.locator("[data-upload] button[type=submit]").click()
    expect(page.locator("[data-problem-line='3']")).to_contain_text("not-mail")
    expect(page.locator("[data-preview]")).to_contain_text("ann@example.test")
    expect(page.locator("[data-start]")).to_have_count(0)
    admin.screenshot("crm-import-preview-en")

    admin.go("/admin/records/import/")
    page.locator("#i-file").set_input_files(str(good))
    page.locator("[data-upload] button[type=submit]").click()
    page.locator("[data-start] button").click()
    expect(page.locator("[data-progress] progress")).to_be_visible()
    admin.screenshot("crm-import-progress-en")
    run_queued_tasks()  # the job worker's part
    expect(page.locator("[data-progress]")).to_have_attribute("data-state", "done")
    expect(page.locator("[data-progress-text]")).to_contain_text("300 rows imported")
    assert User.objects.filter(email__endswith="@example.test").count() == 300
    admin.screenshot("crm-import-done-en")
