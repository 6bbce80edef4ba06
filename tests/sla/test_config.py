"""Policies and calendars are kept per process, and a change reaches every process."""

from __future__ import annotations

import time

from django.core.cache import cache

from opora.sla import config
from opora.sla.models import SlaPolicy
from opora.tickets.models import Ticket
from tests.sla.conftest import msk


def _due(make_ticket, dana, alice) -> object:
    ticket: Ticket = make_ticket(dana, by=alice)
    return ticket.first_response_due_at


def test_policies_are_read_once_not_for_every_ticket(
    policy, make_ticket, dana, alice, clock, django_assert_num_queries
):
    make_ticket(dana, by=alice)  # reads them
    with django_assert_num_queries(0):
        config.configuration()
        config.hours(config.configuration(), policy)


def test_a_saved_policy_applies_to_the_next_ticket_at_once(policy, make_ticket, dana, alice, clock):
    clock.move_to(msk(2026, 3, 2, 10, 0))
    assert _due(make_ticket, dana, alice) == msk(2026, 3, 2, 14, 0)
    # when an admin shortens the first-response target (a save, as the admin pages do)
    policy.first_response_minutes = 60
    policy.save()
    # then the next ticket is due an hour after it opened
    assert _due(make_ticket, dana, alice) == msk(2026, 3, 2, 11, 0)


def test_a_change_made_by_another_process_is_seen(policy, make_ticket, dana, alice, clock):
    clock.move_to(msk(2026, 3, 2, 10, 0))
    assert _due(make_ticket, dana, alice) == msk(2026, 3, 2, 14, 0)
    # given another process changes the policy (no signal here) and moves the shared version
    SlaPolicy.objects.filter(pk=policy.pk).update(first_response_minutes=60)
    assert _due(make_ticket, dana, alice) == msk(2026, 3, 2, 14, 0)  # still the kept one
    cache.set(config.VERSION_KEY, 41, timeout=None)
    # then this process reads the policies again
    assert _due(make_ticket, dana, alice) == msk(2026, 3, 2, 11, 0)


def test_without_a_shared_cache_a_change_arrives_within_the_maximum_age(
    policy, make_ticket, dana, alice, clock, monkeypatch
):
    clock.move_to(msk(2026, 3, 2, 10, 0))
    assert _due(make_ticket, dana, alice) == msk(2026, 3, 2, 14, 0)
    SlaPolicy.objects.filter(pk=policy.pk).update(first_response_minutes=60)
    later = time.monotonic() + config.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert _due(make_ticket, dana, alice) == msk(2026, 3, 2, 11, 0)
