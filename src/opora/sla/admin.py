"""Admin pages where an administrator sets up calendars, SLA policies and escalation rules."""

from __future__ import annotations

from django.contrib import admin

from opora.sla.models import (
    BusinessCalendar,
    CalendarDay,
    DevHandoff,
    EscalationRule,
    SlaPolicy,
)


class CalendarDayInline(admin.TabularInline[CalendarDay, BusinessCalendar]):
    model = CalendarDay
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin[BusinessCalendar]):
    list_display = ("name", "time_zone", "always_open", "is_default")
    inlines = [CalendarDayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = (
        "name",
        "position",
        "priority",
        "organization",
        "type",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "pause_on_hold",
        "is_active",
    )
    list_editable = ("position", "is_active")


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin[EscalationRule]):
    list_display = ("name", "position", "on_risk", "priority", "type", "to_level", "is_active")


@admin.register(DevHandoff)
class DevHandoffAdmin(admin.ModelAdmin[DevHandoff]):
    list_display = ("problem", "delivery", "attempts", "dev_status", "delivered_at")
    readonly_fields = ("problem", "created_by", "attempts", "last_error", "delivered_at")
