# ruff: noqa: RUF001
"""The demo's customer records: custom fields, the complaint form that asks for the
order number, a contract and a few notes, set up through crm's actions after the
quarter is played (the form is the desk's newest change: older complaints have no
order number, new ones must)."""

from __future__ import annotations

from datetime import timedelta

from opora.accounts.models import Organization
from opora.core import clock
from opora.crm import actions
from opora.demo.history import Cast
from opora.sla.models import BusinessCalendar, SlaPolicy
from opora.tickets.models import Priority


def set_up(cast: Cast) -> None:
    admin = cast.admin
    actions.create_field(
        by=admin,
        target="ticket",
        key="order_number",
        label_en="Order number",
        label_ru="Номер заказа",
        kind="text",
        position=10,
    )
    actions.create_field(
        by=admin,
        target="ticket",
        key="refund_amount",
        label_en="Refund asked, ₽",
        label_ru="Сумма возврата, ₽",
        kind="number",
        min_value=0,
        max_value=10_000_000,
        position=20,
    )
    actions.set_ticket_form(
        by=admin, ticket_type="complaint", items=[("order_number", True), ("refund_amount", False)]
    )
    actions.create_field(
        by=admin,
        target="customer",
        key="tier",
        label_en="Loyalty tier",
        label_ru="Уровень лояльности",
        kind="choice",
        options=[
            {"value": "gold", "en": "Gold", "ru": "Золото"},
            {"value": "silver", "en": "Silver", "ru": "Серебро"},
            {"value": "bronze", "en": "Bronze", "ru": "Бронза"},
        ],
    )
    actions.create_field(
        by=admin,
        target="organization",
        key="account_manager",
        label_en="Account manager",
        label_ru="Менеджер клиента",
        kind="text",
    )
    actions.create_field(
        by=admin,
        target="organization",
        key="renewal",
        label_en="Renewal date",
        label_ru="Дата продления",
        kind="date",
    )
    for n, customer in enumerate(cast.customers[:6]):
        actions.set_customer_fields(
            customer, {"tier": ("gold", "silver", "bronze")[n % 3]}, by=admin
        )
    first = Organization.objects.order_by("pk").first()
    if first is None:
        return
    today = clock.now().date()
    urgent = SlaPolicy.objects.filter(priority=Priority.URGENT).first()
    actions.set_contract(
        by=admin,
        org=first,
        plan="Gold 24/7",
        support_hours=BusinessCalendar.objects.filter(is_default=True)
        .values_list("pk", flat=True)
        .first(),
        sla_policy=urgent.pk if urgent else None,
        post_warranty=True,
        expires_on=today + timedelta(days=180),
    )
    actions.set_organization_fields(
        first,
        {
            "account_manager": cast.lead.display_name,
            "renewal": (today + timedelta(days=180)).isoformat(),
        },
        by=admin,
    )
    actions.add_note(
        by=cast.lead,
        org=first,
        body="Renewal talk planned for next quarter; keep replies within the hour.",
    )
    if cast.customers:
        actions.add_note(
            by=cast.lead, customer=cast.customers[0], body="Prefers a call back over long e-mails."
        )
