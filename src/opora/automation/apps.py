from __future__ import annotations

from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "opora.automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self) -> None:
        from opora.automation import handlers, report_panels
        from opora.core.dispatch import IN_TRANSACTION, subscribe
        from opora.reports.panels import register_panel
        from opora.sla.domain_events import SlaWarned
        from opora.tickets.domain_events import (
            MessageAdded,
            TicketChanged,
            TicketOpened,
            TicketSolved,
        )

        subscribe(TicketOpened, handlers.schedule_answers)
        subscribe(MessageAdded, handlers.read_replies)
        subscribe(TicketOpened, handlers.triggers_on_opened)
        subscribe(MessageAdded, handlers.triggers_on_message)
        subscribe(TicketChanged, handlers.triggers_on_change)
        subscribe(TicketSolved, handlers.webhooks_on_solved)
        subscribe(SlaWarned, handlers.triggers_on_sla)
        register_panel(report_panels.etiquette_panel)
        subscribe(TicketOpened, handlers.route_opened)
        subscribe(TicketSolved, handlers.drain_freed)
        subscribe(TicketChanged, handlers.route_changed)
        # The coach's verdict belongs to the reply: written in its transaction, it costs
        # no commit of its own (a second durable commit per reply on PostgreSQL).
        subscribe(MessageAdded, handlers.coach_sent_replies, moment=IN_TRANSACTION)
