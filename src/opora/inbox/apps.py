from __future__ import annotations

from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "opora.inbox"
    label = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from opora.core.dispatch import IN_TRANSACTION, subscribe
        from opora.core.metrics import register_collector
        from opora.inbox import channels, delivery, portal
        from opora.inbox.email.adapter import EmailAdapter
        from opora.inbox.mail_backend import DeskMailAdapter
        from opora.inbox.metrics import DeliveryCollector
        from opora.tickets.domain_events import MessageAdded, TicketOpened

        # E-mail tickets are answered by mail; portal customers hear of answers by mail.
        channels.register(EmailAdapter())
        channels.register(portal.PortalAdapter())
        # The desk's own mail (sign-in links, notices, digests): see mail_backend.py.
        channels.register(DeskMailAdapter())
        # In the reply's own transaction: the reply is queued in the outbox (a Delivery
        # row for its channel's adapter) if and only if it is stored.
        subscribe(MessageAdded, delivery.queue_deliveries, moment=IN_TRANSACTION)
        # New portal requests are acknowledged by mail, queued the same way.
        subscribe(TicketOpened, portal.queue_acknowledgements, moment=IN_TRANSACTION)
        register_collector(DeliveryCollector())
