from __future__ import annotations

from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "opora.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from opora.core.dispatch import subscribe
        from opora.sla import (
            config,  # noqa: F401 - connects the signals that drop kept policies
            handlers,
            lines,  # noqa: F401 - and those that drop kept line names
        )
        from opora.sla.clock import SlaClock
        from opora.tickets import clock
        from opora.tickets.domain_events import TicketOpened, TicketReclassified, TicketSolved

        # Due dates are part of every ticket change: the actions call this clock.
        clock.register(SlaClock())
        subscribe(TicketOpened, handlers.apply_rules)
        subscribe(TicketReclassified, handlers.apply_rules)
        subscribe(TicketSolved, handlers.update_incidents)
