from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "opora.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from opora.accounts.domain_events import AgentDeactivated, CustomersMerged
        from opora.core.dispatch import IN_TRANSACTION, subscribe
        from opora.tickets.counters import restore_sqlite_triggers
        from opora.tickets.people import hand_over_open_tickets, move_to_kept_person

        # A later migration that rebuilds a stamped table on SQLite drops its triggers.
        post_migrate.connect(restore_sqlite_triggers, sender=self)

        # In the merge's transaction: the people merge if and only if their tickets do.
        subscribe(CustomersMerged, move_to_kept_person, moment=IN_TRANSACTION)
        # In the deactivation's transaction: a refused hand-over keeps the agent active.
        subscribe(AgentDeactivated, hand_over_open_tickets, moment=IN_TRANSACTION)
