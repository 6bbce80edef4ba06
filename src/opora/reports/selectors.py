"""Who may read reports, and how a report request becomes a ReportFilter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.crm.selectors import field_filters
from opora.reports import errors
from opora.reports.kpis import KPIS, MAX_TREND_DAYS, ReportFilter
from opora.reports.models import DigestPreference
from opora.tickets.models import Channel, Priority


def access_reports(user: User) -> None:
    """Reports are for agents, leads and admins."""
    if not user.is_active or not user.is_agent:
        raise Forbidden(errors.AGENTS_ONLY, _("Reports are for agents only."))


def kpi_group(name: str) -> Callable[[ReportFilter], dict[str, Any]]:
    """The report of one KPI group, by its name in the address (nst, afrt, ...)."""
    found = KPIS.get(name)
    if found is None:
        raise NotFound(_("report"))
    return found


def month_start(day: date) -> date:
    return day.replace(day=1)


def build_filter(
    *,
    start: date | None = None,
    end: date | None = None,
    team: int | None = None,
    agent: int | None = None,
    channel: str | None = None,
    priority: str | None = None,
    organization: int | None = None,
    fields: dict[str, Any] | None = None,
) -> ReportFilter:
    """Dates are whole UTC days, `end` inclusive; the default is the current month.
    `fields`: ticket custom field lookups (`custom_field_filters`)."""
    today = timezone.now().astimezone(UTC).date()
    first = start or month_start(today)
    last = end or today
    if last < first:
        raise ValidationFailed(
            errors.INVALID_PERIOD, _("The end is before the start."), field="end"
        )
    if (last - first).days >= MAX_TREND_DAYS:
        raise ValidationFailed(errors.PERIOD_TOO_LONG, _("The period is too long."), field="end")
    if channel is not None and channel not in Channel.values:
        raise ValidationFailed(errors.INVALID_CHOICE, _("Unknown channel."), field="channel")
    prio = None
    if priority is not None:
        try:
            prio = Priority.by_name(priority).value
        except KeyError:
            raise ValidationFailed(
                errors.INVALID_CHOICE, _("Unknown priority."), field="priority"
            ) from None
    return ReportFilter(
        start=datetime.combine(first, time.min, tzinfo=UTC),
        end=datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC),
        team=team,
        agent=agent,
        channel=channel,
        priority=prio,
        organization=organization,
        fields=tuple(sorted((fields or {}).items())),
    )


def custom_field_filters(user: User, terms: list[str]) -> dict[str, Any]:
    """`key:value` terms on ticket custom fields (dropdown, text, number, date: the value
    as stored) as the lookups `build_filter` takes; 422 for an unknown key or a value the
    field cannot hold. The same syntax as the ticket list's `field` filter."""
    for term in terms:
        key, _sep, value = term.partition(":")
        if not key.strip() or not value.strip():
            raise ValidationFailed(
                errors.INVALID_FILTER,
                _("Filter by a custom field as key:value, with a value."),
                field="field",
            )
    return field_filters(user, terms) if terms else {}


def may_get_digest(user: User) -> bool:
    return user.is_active and user.is_agent and (user.is_team_lead or user.is_admin)


def access_digest(user: User) -> None:
    """The digest setting is for the people who get the digest."""
    if not may_get_digest(user):
        raise Forbidden(
            errors.DIGEST_FOR_LEADS, _("The weekly digest is for team leads and admins.")
        )


def wants_digest(user: User) -> bool:
    pref = DigestPreference.objects.filter(user=user).first()
    return pref is None or pref.weekly_digest
