from __future__ import annotations

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "opora.feedback"
    label = "feedback"
    verbose_name = "Customer satisfaction"

    def ready(self) -> None:
        from opora.core.dispatch import subscribe
        from opora.feedback.handlers import ask_for_rating
        from opora.tickets.domain_events import TicketSolved

        subscribe(TicketSolved, ask_for_rating)
