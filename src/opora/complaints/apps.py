from __future__ import annotations

from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "opora.complaints"
    label = "complaints"
    verbose_name = "Complaints"

    def ready(self) -> None:
        from opora.complaints import handlers, selectors, tasks  # noqa: F401 - periodic job
        from opora.core.dispatch import IN_TRANSACTION, subscribe
        from opora.tickets.acknowledgements import register_own_acknowledgement
        from opora.tickets.domain_events import TicketChanged, TicketOpened
        from opora.tickets.selectors import register_hidden

        subscribe(TicketOpened, handlers.take_in_opened)
        subscribe(TicketChanged, handlers.follow_retyping)
        # Part of the solving change: a refusal rolls it back whole.
        subscribe(TicketChanged, handlers.refuse_unresolved_solving, moment=IN_TRANSACTION)
        register_hidden(selectors.restricted_ticket_ids)
        # A complaint is acknowledged once: with its deadline, not "request received".
        register_own_acknowledgement(selectors.arriving_complaints)
