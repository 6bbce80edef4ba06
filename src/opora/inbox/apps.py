from __future__ import annotations

from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "opora.inbox"
    label = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from opora.core.dispatch import IN_TRANSACTION, subscribe
        from opora.inbox import delivery
        from opora.inbox.email import outbound
        from opora.tickets.domain_events import MessageAdded

        # In the reply's own transaction: the outgoing mail is queued (a row in the
        # outbox) if and only if the reply is stored.
        subscribe(MessageAdded, outbound.queue_replies, moment=IN_TRANSACTION)
        # The same for every other channel, through its adapter (inbox/channels.py).
        subscribe(MessageAdded, delivery.queue_deliveries, moment=IN_TRANSACTION)
