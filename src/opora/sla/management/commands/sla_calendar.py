"""opora sla_calendar NAME [--time-zone Europe/Moscow] [--ru] [--default]: set up a calendar."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from opora.sla.calendar import load_production_calendar
from opora.sla.models import BusinessCalendar


class Command(BaseCommand):
    help = "Create or update a business-hours calendar, optionally with Russian holidays."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--time-zone", default="Europe/Moscow")
        parser.add_argument(
            "--ru", action="store_true", help="load the Russian production calendar"
        )
        parser.add_argument("--default", action="store_true", help="make it the default")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ZoneInfo(options["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"unknown time zone {options['time_zone']!r}") from None
        calendar, created = BusinessCalendar.objects.update_or_create(
            name=options["name"], defaults={"time_zone": options["time_zone"]}
        )
        if options["default"]:
            BusinessCalendar.objects.exclude(pk=calendar.pk).update(is_default=False)
            calendar.is_default = True
            calendar.save(update_fields=["is_default"])
        loaded = load_production_calendar(calendar) if options["ru"] else 0
        verb = "created" if created else "updated"
        self.stdout.write(f"calendar {calendar.name!r} {verb}; {loaded} dated days loaded")
