from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from opora.sla.models import BusinessCalendar, CalendarDay


def test_the_command_sets_up_a_default_calendar_with_russian_holidays(db, capsys):
    call_command("sla_calendar", "Moscow", "--ru", "--default")
    calendar = BusinessCalendar.objects.get(name="Moscow")
    assert calendar.is_default
    kinds = dict(CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"))
    assert kinds[date(2026, 1, 9)] == "holiday"  # moved from Saturday 3 January
    assert kinds[date(2025, 11, 1)] == "short"  # a working Saturday, one hour shorter
    assert kinds[date(2026, 11, 3)] == "short"
    assert "loaded" in capsys.readouterr().out


def test_an_unknown_time_zone_is_refused(db):
    with pytest.raises(CommandError):
        call_command("sla_calendar", "Mars", "--time-zone", "Mars/Olympus")
