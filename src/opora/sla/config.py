"""SLA policies, business calendars and escalation rules, kept per process.

Every ticket change recomputes the ticket's SLA clock, and that needs the active
policies and the calendars' working hours, which change a few times a year; every new
or changed ticket would also queue an escalation-rules job, which only matters when a
rule exists. Reading them each time cost two or three queries per change; here they are
read once and kept until one of them changes:
- in this process, at once: saving or deleting a policy, calendar, calendar day or rule
  (signals, at commit) or `configuration_changed()` after bulk writes (and after a
  contract names a policy: crm calls it);
- in other processes: a version number in the shared cache (Redis with
  OPORA_REDIS_URL) moves, checked on each use; without a shared cache, at the latest
  after `MAX_AGE_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from opora.accounts.models import Organization, User
from opora.sla.calendar import Hours
from opora.sla.models import BusinessCalendar, CalendarDay, EscalationRule, SlaPolicy

MAX_AGE_SECONDS = 30
VERSION_KEY = "opora:sla:configuration"


@dataclass
class Configuration:
    policies: list[SlaPolicy]  # active, in the order they are tried
    # Filled as they are used, by (policy id, the contract's calendar id).
    hours_by_policy: dict[tuple[int | None, int | None], Hours]
    version: Any
    read_at: float
    any_rule: bool = True  # some escalation rule is active
    # Some customer or organization has a contract with a policy or support hours.
    any_contract: bool = True


_current: Configuration | None = None
_lock = threading.Lock()


def active_policies() -> list[SlaPolicy]:
    """Active policies in the order they are tried (position, then id), from the database."""
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .order_by("position", "id")
    )


def any_contract() -> bool:
    """Whether a contract names a policy or support hours anywhere (else new tickets
    skip the lookup)."""
    named = Q(contract_policy_id__isnull=False) | Q(contract_calendar_id__isnull=False)
    return Organization.objects.filter(named).exists() or User.objects.filter(named).exists()


def read_hours(policy: SlaPolicy | None) -> Hours:
    """The policy's calendar; without a policy the default calendar, else 24/7."""
    if policy is not None:
        return Hours.of(policy.calendar)
    default = BusinessCalendar.objects.filter(is_default=True).first()
    return Hours.of(default) if default else Hours.around_the_clock()


def configuration() -> Configuration:
    """The policies and calendars in force (read from the database when they changed)."""
    global _current
    version = cache.get(VERSION_KEY)
    found = _current
    if (
        found is None
        or found.version != version
        or time.monotonic() - found.read_at > MAX_AGE_SECONDS
    ):
        found = Configuration(
            active_policies(),
            {},
            version,
            time.monotonic(),
            any_rule=EscalationRule.objects.filter(is_active=True).exists(),
            any_contract=any_contract(),
        )
        with _lock:
            _current = found
    return found


def hours(config: Configuration, policy: SlaPolicy | None, calendar_id: int | None = None) -> Hours:
    """The working hours a ticket's clock runs on: the contract's support hours when it
    names them (`calendar_id`), else the policy's calendar (see `read_hours`)."""
    key = (policy.pk if policy is not None else None, calendar_id)
    found = config.hours_by_policy.get(key)
    if found is None:
        calendar = BusinessCalendar.objects.filter(pk=calendar_id).first() if calendar_id else None
        found = Hours.of(calendar) if calendar is not None else read_hours(policy)
        config.hours_by_policy[key] = found
    return found


def forget() -> None:
    """Drop what this process keeps (the next use reads the database)."""
    global _current
    with _lock:
        _current = None


def configuration_changed() -> None:
    """Policies or calendars changed: every process reads them again."""
    forget()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet
        cache.set(VERSION_KEY, 1, timeout=None)
    # A process may read the old rows again before this transaction commits.
    transaction.on_commit(forget)


def _changed(**kwargs: Any) -> None:
    configuration_changed()


for _model in (SlaPolicy, BusinessCalendar, CalendarDay, EscalationRule):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"sla-config-save-{_model.__name__}")
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"sla-config-delete-{_model.__name__}"
    )
