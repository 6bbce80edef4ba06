# ruff: noqa: RUF001
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opora.accounts.models import User
from opora.core.tasks import run_queued_tasks
from opora.crm import actions
from opora.crm.models import FieldDefinition


@pytest.fixture
def order_number(ada: User) -> FieldDefinition:
    """The complaint form's field: the order number, required on complaints."""
    field = actions.create_field(
        by=ada,
        target="ticket",
        key="order_number",
        label_en="Order number",
        label_ru="Номер заказа",
        kind="text",
    )
    actions.set_ticket_form(by=ada, ticket_type="complaint", items=[("order_number", True)])
    return field


@pytest.fixture
def amount(ada: User) -> FieldDefinition:
    return actions.create_field(
        by=ada,
        target="ticket",
        key="amount",
        label_en="Amount",
        label_ru="Сумма",
        kind="number",
        min_value=0,
        max_value=1_000_000,
    )


@pytest.fixture
def tier(ada: User) -> FieldDefinition:
    return actions.create_field(
        by=ada,
        target="customer",
        key="tier",
        label_en="Tier",
        label_ru="Уровень",
        kind="choice",
        options=[
            {"value": "gold", "en": "Gold", "ru": "Золото"},
            {"value": "silver", "en": "Silver", "ru": "Серебро"},
        ],
    )


@pytest.fixture
def birthday(ada: User) -> FieldDefinition:
    return actions.create_field(
        by=ada,
        target="customer",
        key="since",
        label_en="Customer since",
        label_ru="Клиент с",
        kind="date",
    )


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Do something, let its after-commit handlers queue jobs, run them."""

    def run(fn: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            result = fn()
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                if not run_queued_tasks():
                    break
        return result

    return run
