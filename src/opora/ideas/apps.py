from __future__ import annotations

from django.apps import AppConfig


class IdeasConfig(AppConfig):
    name = "opora.ideas"
    label = "ideas"
    verbose_name = "Ideas"

    def ready(self) -> None:
        from opora.core.dispatch import subscribe
        from opora.ideas import handlers
        from opora.tickets.domain_events import TicketOpened

        subscribe(TicketOpened, handlers.find_similar_ideas)
