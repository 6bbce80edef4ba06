"""Reads of the SLA clock, shared by the API and the agent workspace."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import User
from opora.core.errors import Forbidden, NotFound
from opora.sla.calendar import Hours
from opora.sla.errors import AGENTS_ONLY, BAD_SIGNATURE
from opora.sla.models import (
    BusinessCalendar,
    CalendarDay,
    EscalationRule,
    SlaPolicy,
    SlaState,
    TicketSla,
)
from opora.sla.webhooks import verify
from opora.tickets.models import Ticket, TimeEntry
from opora.tickets.selectors import access_ticket


def access_desk_ticket(user: User, number: int) -> Ticket:
    """A ticket whose SLA clock, escalations, time log and hand-off the user may work with.

    Agents only: a customer gets 404 even for their own ticket, as these are the
    desk's internals, not a refusal worth explaining.
    """
    ticket = access_ticket(user, number)
    if not user.is_agent:
        raise NotFound(gettext("ticket"))
    return ticket


def verify_dev_callback(*, timestamp: str, signature: str, body: bytes) -> None:
    """Only development's own callbacks, signed with the shared secret, are accepted."""
    if not verify(settings.DEV_WEBHOOK_SECRET, timestamp, signature, body, now=time.time()):
        raise Forbidden(BAD_SIGNATURE, gettext("The signature is missing or wrong."))


def ticket_sla(ticket: Ticket) -> TicketSla:
    """The ticket's SLA row in one query; an unsaved "on track" one if it has none yet."""
    sla = TicketSla.objects.select_related("policy", "calendar").filter(ticket=ticket).first()
    if sla is None:
        sla = TicketSla(ticket=ticket, level=str(ticket.line))
    return sla


@dataclass(frozen=True)
class Target:
    label: str | Promise
    due_at: datetime
    met: bool
    # The due moment passed while the target was unmet (for good, see sla.clock).
    breached: bool = False
    # The clock of this target no longer runs (answered, solved, or paused).
    settled: bool = False

    @property
    def verdict(self) -> str:
        """ "missed", "met", or "" while it still runs (the page shows a countdown)."""
        if self.breached and (self.met or self.settled):
            return "missed"
        return "met" if self.met else ""


def sla_targets(ticket: Ticket, sla: TicketSla) -> list[Target]:
    """The due times an agent watches on the ticket page, in the order they fall due.

    A breached target says so whatever came later (a solve, a reopen), as the
    breach flags of the SLA row and the on-time rate do."""
    targets = []
    stopped = ticket.status in ("solved", "closed")
    settled = stopped or sla.paused
    if ticket.first_response_due_at:
        answered = ticket.first_response_at is not None
        targets.append(
            Target(
                _("First response"),
                ticket.first_response_due_at,
                answered,
                bool(sla.first_response_breached),
                settled,
            )
        )
    if sla.next_response_due_at and ticket.first_response_at is not None:
        targets.append(Target(_("Next response"), sla.next_response_due_at, False))
    if ticket.resolution_due_at:
        targets.append(
            Target(
                _("Resolution"),
                ticket.resolution_due_at,
                stopped,
                bool(sla.resolution_breached),
                settled,
            )
        )
    return targets


def sla_state(sla: TicketSla) -> str:
    """A breach shows whatever came later; otherwise a paused clock shows as paused."""
    if sla.first_response_breached or sla.resolution_breached:
        return str(SlaState.BREACHED)
    return str(SlaState.PAUSED) if sla.paused else str(sla.state)


def entry_cost(entry: TimeEntry) -> Decimal:
    """What a time entry cost at its agent's rate when it was logged, to the cent."""
    return (entry.rate_per_hour * entry.minutes / 60).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class TimeLog:
    entries: list[TimeEntry]
    total_minutes: int
    # The sum of the entries' rounded costs, so that the listed costs add up to it.
    total_cost: Decimal
    running: bool


def time_log(ticket: Ticket) -> TimeLog:
    """The time logged on a ticket, oldest first, with its totals (one query)."""
    entries = list(TimeEntry.objects.filter(ticket=ticket).order_by("created_at", "id"))
    return TimeLog(
        entries=entries,
        total_minutes=sum(e.minutes for e in entries),
        total_cost=sum((entry_cost(e) for e in entries), Decimal("0.00")),
        running=any(e.started_at and not e.stopped_at for e in entries),
    )


# The service settings (calendars, policies, escalation rules), for the console and API


def may_manage_service(user: User) -> bool:
    """Administrators change the service settings."""
    return user.is_active and user.is_admin


def may_view_service(user: User) -> bool:
    """Team leads see the console's Service section (read-only); admins change it."""
    return user.is_active and (user.is_admin or (user.is_agent and user.is_team_lead))


def access_service_settings(user: User) -> None:
    """Reading the settings through the API: every agent (the desk works by them)."""
    if not (user.is_active and user.is_agent):
        raise Forbidden(AGENTS_ONLY, gettext("Only agents see the service settings."))


def access_calendar(calendar_id: int) -> BusinessCalendar:
    found = BusinessCalendar.objects.filter(pk=calendar_id).first()
    if found is None:
        raise NotFound(gettext("calendar"))
    return found


def access_policy(policy_id: int) -> SlaPolicy:
    found = SlaPolicy.objects.select_related("calendar", "organization").filter(pk=policy_id)
    policy = found.first()
    if policy is None:
        raise NotFound(gettext("SLA policy"))
    return policy


def access_rule(rule_id: int) -> EscalationRule:
    found = EscalationRule.objects.select_related("organization").filter(pk=rule_id).first()
    if found is None:
        raise NotFound(gettext("escalation rule"))
    return found


def calendars() -> list[BusinessCalendar]:
    return list(BusinessCalendar.objects.order_by("name"))


def calendar_days(calendar: BusinessCalendar) -> list[CalendarDay]:
    return list(CalendarDay.objects.filter(calendar=calendar).order_by("date"))


def policies() -> list[SlaPolicy]:
    """Every policy in the order they are tried."""
    return list(
        SlaPolicy.objects.select_related("calendar", "organization").order_by("position", "id")
    )


def escalation_rules() -> list[EscalationRule]:
    return list(EscalationRule.objects.select_related("organization").order_by("position", "id"))


def calendars_in_use() -> set[int]:
    return set(SlaPolicy.objects.values_list("calendar_id", flat=True))


@dataclass(frozen=True)
class PreviewDay:
    day: date
    spans: list[tuple[str, str]]
    kind: str  # "", or the dated exception's kind


def week_preview(
    *,
    time_zone: str,
    week: dict[str, list[list[str]]],
    days: dict[date, str],
    always_open: bool,
    start: date,
    count: int = 7,
) -> list[PreviewDay]:
    """The working hours of `count` days from `start`, as the SLA clock will count them
    (short days an hour shorter, transferred working days with a weekday's hours)."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    hours = Hours(
        zone,
        {
            int(day): [(_clock_time(a), _clock_time(b)) for a, b in spans]
            for day, spans in week.items()
        },
        dict(days),
        always_open,
    )
    found = []
    for offset in range(count):
        day = start + timedelta(days=offset)
        spans = [
            (a.strftime("%H:%M"), "24:00" if b.date() > day else b.strftime("%H:%M"))
            for a, b in hours.spans(day)
        ]
        found.append(PreviewDay(day, spans, days.get(day, "")))
    return found


def _clock_time(text: str) -> dt_time:
    return dt_time.max if text == "24:00" else dt_time.fromisoformat(text)
