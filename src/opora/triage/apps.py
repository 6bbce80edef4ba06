from __future__ import annotations

from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "opora.triage"
    label = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        from opora.core.dispatch import subscribe
        from opora.tickets.domain_events import TicketOpened, TicketSolved
        from opora.triage import (
            handlers,
            tasks,  # noqa: F401 - registers the nightly training
        )

        subscribe(TicketOpened, handlers.schedule_suggestions)
        subscribe(TicketSolved, handlers.record_outcomes)
