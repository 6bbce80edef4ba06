from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from opora.sla.calendar import load_production_calendar
from opora.sla.models import BusinessCalendar, SlaPolicy

MSK = ZoneInfo("Europe/Moscow")


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def office(db):
    """Moscow office hours, Mon-Fri 09:00-18:00, with the Russian production calendar."""
    calendar = BusinessCalendar.objects.create(
        name="Moscow office", time_zone="Europe/Moscow", is_default=True
    )
    load_production_calendar(calendar)
    return calendar


@pytest.fixture
def policy(office):
    """Normal priority: first response in 4 business hours, resolution in 16."""
    return SlaPolicy.objects.create(
        name="Standard",
        position=100,
        calendar=office,
        first_response_minutes=240,
        next_response_minutes=120,
        resolution_minutes=960,
    )


@pytest.fixture
def clock():
    """Frozen time that a test moves by hand."""
    with time_machine.travel(msk(2026, 3, 2, 9, 0), tick=False) as traveller:
        yield traveller
