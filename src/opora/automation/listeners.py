"""Which ticket events anyone listens to: asked on every ticket write, so cached.

Every new ticket, message and change asks "does an active trigger listen to this
event?" and "does an active webhook want it?". Both answers change only when an
administrator edits triggers or webhooks, so they are kept in the cache (shared by
every process when Redis is configured) and dropped after each such edit commits; the
30-second lifetime bounds how stale a process without a shared cache can be.
"""

from __future__ import annotations

from django.core.cache import cache

from opora.core.transaction import after_commit

TRIGGERS_KEY = "automation:trigger-events"
WEBHOOKS_KEY = "automation:webhook-events"
LIFETIME_SECONDS = 30


def trigger_events() -> frozenset[str]:
    """The events that at least one active trigger listens to."""
    cached = cache.get(TRIGGERS_KEY)
    if cached is None:
        from opora.automation.models import Trigger

        cached = sorted(set(Trigger.objects.filter(active=True).values_list("event", flat=True)))
        cache.set(TRIGGERS_KEY, cached, timeout=LIFETIME_SECONDS)
    return frozenset(cached)


def webhook_events() -> frozenset[str]:
    """The events that at least one active outbound webhook wants."""
    cached = cache.get(WEBHOOKS_KEY)
    if cached is None:
        from opora.automation.models import Webhook

        wanted: set[str] = set()
        for events in Webhook.objects.filter(active=True).values_list("events", flat=True):
            wanted.update(events or ())
        cached = sorted(wanted)
        cache.set(WEBHOOKS_KEY, cached, timeout=LIFETIME_SECONDS)
    return frozenset(cached)


def triggers_changed() -> None:
    """Call in the transaction that edits triggers: forgotten once it commits."""
    after_commit(cache.delete, TRIGGERS_KEY)


def webhooks_changed() -> None:
    after_commit(cache.delete, WEBHOOKS_KEY)
