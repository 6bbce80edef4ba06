from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "opora.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from opora.accounts.domain_events import CustomersMerged
        from opora.core.dispatch import IN_TRANSACTION, subscribe
        from opora.tickets.people import move_to_kept_person

        # In the merge's transaction: the people merge if and only if their tickets do.
        subscribe(CustomersMerged, move_to_kept_person, moment=IN_TRANSACTION)
