from __future__ import annotations

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "opora.chat"
    label = "chat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        from opora.automation.routing import register_presence
        from opora.chat import delivery
        from opora.chat.selectors import presences
        from opora.core.dispatch import subscribe
        from opora.inbox.channels import register
        from opora.tickets.domain_events import MessageAdded, TicketOpened

        # The desk's replies on chat tickets (from the agent socket, the ticket page or
        # the API) go out through the channel layer's outbox to the visitor's sockets.
        register(delivery.ChatAdapter())
        # Everything else said in a chat (the visitor's own words, the bot's answers)
        # reaches the visitor's other tabs and the agent once it is committed.
        subscribe(TicketOpened, delivery.opened_chats)
        subscribe(MessageAdded, delivery.added_messages)
        # An agent's presence applies to tickets too: ticket routing reads it here.
        register_presence(presences)
