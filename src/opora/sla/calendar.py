"""Business-time arithmetic over a calendar: add working time, measure working time.

All inputs and outputs are aware datetimes (UTC in the database); the calendar's own
zone decides what "09:00 on a Monday" means, including daylight-saving shifts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from opora.sla.models import BusinessCalendar, CalendarDay, DayKind

# A calendar with no working hours at all would make "add 4 business hours" loop
# forever; past this many days we stop and say so.
MAX_DAYS = 3 * 366
SHORT_DAY_CUT = timedelta(hours=1)  # Russian pre-holiday days are one hour shorter
RU_CALENDAR_FILE = Path(__file__).parent / "data" / "ru-production-calendar.json"


class NoWorkingTime(ValueError):
    pass


def _parse_time(text: str) -> time:
    if text in ("24:00", "24:00:00"):
        return time.max
    return time.fromisoformat(text)


@dataclass
class Hours:
    """A calendar loaded once into plain values, ready for arithmetic."""

    tz: ZoneInfo
    week: dict[int, list[tuple[time, time]]]
    days: dict[date, str] = field(default_factory=dict)
    always_open: bool = False

    @classmethod
    def of(cls, calendar: BusinessCalendar) -> Hours:
        week = {
            int(day): [(_parse_time(a), _parse_time(b)) for a, b in spans]
            for day, spans in (calendar.week or {}).items()
        }
        days = dict(CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"))
        return cls(ZoneInfo(calendar.time_zone), week, days, calendar.always_open)

    @classmethod
    def around_the_clock(cls) -> Hours:
        return cls(ZoneInfo("UTC"), {}, {}, always_open=True)

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """Working spans of one local day as aware datetimes."""
        if self.always_open:
            start = datetime.combine(day, time.min, tzinfo=self.tz)
            return [(start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.tz))]
        kind = self.days.get(day)
        if kind == DayKind.HOLIDAY:
            return []
        spans = self.week.get(day.isoweekday(), [])
        if not spans and kind in (DayKind.WORKING, DayKind.SHORT):
            # A transferred working Saturday works the hours of a normal weekday.
            spans = next((s for d, s in sorted(self.week.items()) if s), [])
        result = [
            (
                datetime.combine(day, a, tzinfo=self.tz),
                datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.tz)
                if b == time.max
                else datetime.combine(day, b, tzinfo=self.tz),
            )
            for a, b in spans
        ]
        if kind == DayKind.SHORT and result:
            start, end = result[-1]
            result[-1] = (start, max(start, end - SHORT_DAY_CUT))
        return result

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start`."""
        remaining = timedelta(seconds=seconds)
        day = start.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            for span_start, span_end in self.spans(day):
                begin = max(span_start, start)
                if begin >= span_end:
                    continue
                available = span_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise NoWorkingTime("the calendar has no working time in the next three years")

    def between(self, start: datetime, end: datetime) -> float:
        """Working seconds between two moments (0 when end <= start)."""
        if end <= start:
            return 0.0
        total = timedelta()
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        for _ in range(MAX_DAYS * 4):
            if day > last:
                break
            for span_start, span_end in self.spans(day):
                begin, finish = max(span_start, start), min(span_end, end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds()


def load_production_calendar(calendar: BusinessCalendar, path: Path = RU_CALENDAR_FILE) -> int:
    """Load holidays, transferred working days and short days from a JSON data file.

    The file lists dates under "holidays", "working_days" and "short_days"; existing
    entries for those dates are replaced. Returns the number of dates loaded.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    entries: dict[date, str] = {}
    for key, kind in (
        ("holidays", DayKind.HOLIDAY),
        ("short_days", DayKind.SHORT),
        ("working_days", DayKind.WORKING),
    ):
        for text in data.get(key, []):
            day = date.fromisoformat(text)
            # A transferred working Saturday that is also short stays a working day
            # with short hours.
            if key == "working_days" and entries.get(day) == DayKind.SHORT:
                continue
            entries[day] = kind
    CalendarDay.objects.filter(calendar=calendar, date__in=list(entries)).delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=calendar, date=d, kind=k) for d, k in sorted(entries.items())]
    )
    from opora.sla.config import configuration_changed  # (it builds on this module)

    configuration_changed()  # bulk writes send no signals
    return len(entries)
